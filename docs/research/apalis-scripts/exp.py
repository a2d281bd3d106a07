import sqlite3, glob, os, sys, time, json, random, string
A = glob.glob(os.path.expanduser('~/.cargo/registry/src/*/apalis-sqlite-1.0.0'))[0]
def q(p): return open(os.path.join(A, p)).read()
def ulid(i): return '01K' + ('%023d' % i)
QUEUE = 'hub:sync-product-to-store'
W = 'host-1-sync'

def build(path, pending, done_mine, other_queues, stats):
    if os.path.exists(path): os.remove(path)
    for s in ('-wal','-shm'):
        if os.path.exists(path+s): os.remove(path+s)
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA foreign_keys=ON")
    for m in sorted(glob.glob(os.path.join(A, 'migrations/*.sql'))):
        c.executescript(open(m).read())
    for wid, wt in [(W, QUEUE), ('host-1-fan-out', 'hub:fan-out-product'), ('host-1-orders', 'hub:replicate-order')]:
        c.execute("INSERT INTO Workers (id, worker_type, storage_name, layers, last_seen, started_at) VALUES (?,?, 'SqliteStorage','', strftime('%s','now'), strftime('%s','now'))", (wid, wt))
    if stats == 'stale':
        # statistics taken while the queue was small (what `PRAGMA optimize` at setup does on a young queue)
        ins_jobs(c, 0, 5, QUEUE, 'Pending', None)
        c.execute("ANALYZE")
    now = int(time.time())
    n = 100
    c.execute("BEGIN")
    n = ins_jobs(c, n, done_mine, QUEUE, 'Done', W, done=now-60)
    n = ins_jobs(c, n, pending, QUEUE, 'Pending', None)
    n = ins_jobs(c, n, other_queues, 'hub:fan-out-product', 'Done', 'host-1-fan-out', done=now-60)
    c.execute("COMMIT")
    if stats == 'fresh':
        c.execute("PRAGMA optimize=0x10012")
    return c

def ins_jobs(c, start, count, queue, status, lock_by, done=None):
    now = int(time.time())
    for i in range(start, start+count):
        job = json.dumps({"store": "retail-%d" % (i % 3), "sku": "SKU-%06d" % i, "queued_at_us": now*1000000}).encode()
        c.execute("INSERT INTO Jobs (job,id,job_type,status,attempts,max_attempts,run_at,last_result,lock_at,lock_by,done_at,priority,metadata,idempotency_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                  (job, ulid(i), queue, status, 1 if status=='Done' else 0, 1, now-5, '{"Ok":null}' if status=='Done' else None, now if lock_by else None, lock_by, done, 0, '{}', None))
    return start+count

def plan(c, sql, params):
    rows = c.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return "\n".join("    " + "  " * (0 if r[1]==0 else 1) + r[3] for r in rows)

def timeit(c, sql, params, n=5, rollback=True):
    ts = []
    for _ in range(n):
        c.execute("BEGIN")
        t = time.perf_counter(); cur = c.execute(sql, params); rows = cur.fetchall(); dt = time.perf_counter()-t
        c.execute("ROLLBACK" if rollback else "COMMIT")
        ts.append(dt)
    ts.sort(); return ts[len(ts)//2]*1000, len(rows), cur.rowcount

if __name__ == '__main__':
    pending, done_mine, stats = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    c = build('/tmp/q18/q.db', pending, done_mine, 2000, stats)
    print("sqlite", sqlite3.sqlite_version, "pending", pending, "done by this worker", done_mine, "stats", stats)
    print("  stat1:", c.execute("SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl='Jobs' ORDER BY idx").fetchall() if c.execute("SELECT count(*) FROM sqlite_master WHERE name='sqlite_stat1'").fetchone()[0] else None)
    now = int(time.time())
    fetch = q('queries/backend/fetch_next.sql')
    lock = q('queries/task/lock.sql'); ack = q('queries/task/ack.sql')
    ids = [r[0] for r in c.execute("SELECT id FROM Jobs WHERE job_type=? AND status='Pending' ORDER BY id LIMIT 10", (QUEUE,))]
    ids_json = json.dumps(ids)
    ack_json = json.dumps([{"task_id": i, "attempt": 1, "status": "Done", "result": {"Ok": None}} for i in ids])
    c.execute("UPDATE Jobs SET status='Running', lock_by=?, lock_at=? WHERE id IN (SELECT value FROM json_each(?))", (W, now, ids_json))
    for name, sql, params in [("fetch_next", fetch, (W, QUEUE, 10, now)), ("lock", lock, (ids_json, W)), ("ack", ack, (ack_json, W)),
                              ("reenqueue_orphaned", q('queries/backend/reenqueue_orphaned.sql'), (10, QUEUE, W, None))]:
        print(" ", name); print(plan(c, sql, params))
        ms, nrows, rc = timeit(c, sql, params)
        print("    median %.2f ms, rows returned %d, rowcount %d" % (ms, nrows, rc))
