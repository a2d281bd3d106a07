#!/usr/bin/env python3
"""Generates a catalog on a real PrestaShop shop through its Webservice, for the publishing benchmark
(docs/benchmarks.md, "Catalog publishing on a real PrestaShop 8.2.1").

    bench/realshop-catalog.py URL KEY COUNT [--prefix BENCH] [--threads 6]

Creates a category "<prefix> catalog" under Home, then COUNT products <prefix>-0001… in it, each in English and
French when the shop has both, with tax rules group 1, a 64x64 PNG image of its own colour, and stock; every
10th product has two combinations (the demo data's Size S and M). Run it against the kit's SOURCE shop
(../shared/realshop/). Standard library only.
"""
import argparse
import base64
import concurrent.futures
import json
import struct
import sys
import time
import urllib.request
import zlib


def png(rgb):
    """A 64x64 PNG of one colour."""
    raw = b"".join(b"\x00" + bytes(rgb) * 64 for _ in range(64))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class Shop:
    def __init__(self, url, key):
        self.url = url.rstrip("/") + "/api/"
        self.auth = "Basic " + base64.b64encode((key + ":").encode()).decode()

    def call(self, method, path, body=None, ctype="text/xml"):
        req = urllib.request.Request(self.url + path, data=body, method=method)
        req.add_header("Authorization", self.auth)
        if body is not None:
            req.add_header("Content-Type", ctype)
        # Reads and PATCHes are retried on a 5xx; a POST is not: the shop may have created the object before
        # failing (a second POST would make a second product).
        attempts = 5 if method in ("GET", "PATCH") else 1
        for attempt in range(attempts):
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    return r.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as e:
                if e.code < 500 or attempt == attempts - 1:
                    raise RuntimeError(f"{method} {path}: {e.code} {e.read()[:300]!r}")
            time.sleep(1 + attempt)

    def get(self, path):
        sep = "&" if "?" in path else "?"
        return json.loads(self.call("GET", path + sep + "output_format=JSON") or "{}")

    def post(self, resource, xml):
        answer = json.loads(self.call("POST", resource + "?output_format=JSON", xml.encode()))
        return int(next(iter(answer.values()))["id"])


def lang(field, langs, value):
    return f"<{field}>" + "".join(f'<language id="{i}"><![CDATA[{value(iso)}]]></language>' for i, iso in langs) + f"</{field}>"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("key")
    p.add_argument("count", type=int)
    p.add_argument("--prefix", default="BENCH")
    p.add_argument("--threads", type=int, default=6)
    a = p.parse_args()
    shop = Shop(a.url, a.key)
    langs = [(l["id"], l["iso_code"]) for l in shop.get("languages?display=[id,iso_code,active]")["languages"] if l["active"] == "1"]
    fr = lambda en, frv: (lambda iso: frv if iso == "fr" else en)
    cat = shop.post("categories", "<prestashop><category><id_parent>2</id_parent><active>1</active>"
                    + lang("name", langs, fr(f"{a.prefix} catalog", f"Catalogue {a.prefix}"))
                    + lang("link_rewrite", langs, fr(f"{a.prefix.lower()}-catalog", f"catalogue-{a.prefix.lower()}"))
                    + "</category></prestashop>")

    def make(n):
        ref = f"{a.prefix}-{n:04d}"
        xml = ("<prestashop><product>"
               f"<id_category_default>{cat}</id_category_default><id_tax_rules_group>1</id_tax_rules_group>"
               f"<reference>{ref}</reference><state>1</state><price>{5 + n % 50}.500000</price><active>1</active>"
               "<weight>0.250000</weight><condition>new</condition><visibility>both</visibility>"
               "<minimal_quantity>1</minimal_quantity><available_for_order>1</available_for_order><show_price>1</show_price>"
               + lang("name", langs, fr(f"Bench product {n}", f"Produit de test {n}"))
               + lang("link_rewrite", langs, fr(f"bench-product-{n}", f"produit-de-test-{n}"))
               + lang("description_short", langs, fr(f"<p>Product {n} of the benchmark.</p>", f"<p>Produit {n} du banc d'essai.</p>"))
               + f"<associations><categories><category><id>{cat}</id></category></categories></associations>"
               "</product></prestashop>")
        pid = shop.post("products", xml)
        combos = []
        if n % 10 == 0:
            for value, impact in ((1, "0.000000"), (2, "1.000000")):
                combos.append(shop.post("combinations",
                    f"<prestashop><combination><id_product>{pid}</id_product><price>{impact}</price>"
                    "<minimal_quantity>1</minimal_quantity><associations><product_option_values><product_option_value>"
                    f"<id>{value}</id></product_option_value></product_option_values></associations></combination></prestashop>"))
        boundary = "----bench"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{ref}.png\"\r\n"
                "Content-Type: image/png\r\n\r\n").encode() + png(((n * 37) % 256, (n * 91) % 256, (n * 13) % 256)) \
            + f"\r\n--{boundary}--\r\n".encode()
        shop.call("POST", f"images/products/{pid}", body, f"multipart/form-data; boundary={boundary}")
        rows = shop.get(f"stock_availables?filter[id_product]=[{pid}]&display=[id,id_product_attribute]")["stock_availables"]
        for row in rows:
            if combos and row["id_product_attribute"] == "0":
                continue
            shop.call("PATCH", f"stock_availables/{row['id']}",
                      f"<prestashop><stock_available><id>{row['id']}</id><quantity>{10 + n % 90}</quantity></stock_available></prestashop>".encode())
        return pid

    def attempt(n):
        try:
            return make(n)
        except RuntimeError as e:
            print(f"product {n}: {e}", file=sys.stderr)
            return None

    started = time.time()
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(a.threads) as pool:
        for i, pid in enumerate(pool.map(attempt, range(1, a.count + 1)), 1):
            failed += pid is None
            if i % 100 == 0:
                print(f"{i} products in {time.time() - started:.0f} s", file=sys.stderr)
    if failed:
        print(f"{failed} product(s) failed (see above)", file=sys.stderr)
    print(json.dumps({"category": cat, "products": a.count, "seconds": round(time.time() - started, 1)}))


if __name__ == "__main__":
    main()
