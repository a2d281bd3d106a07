import sqlite3, time, os, sys
p = '/tmp/q18/d.db'
for s in ('','-wal','-shm'):
    if os.path.exists(p+s): os.remove(p+s)
c = sqlite3.connect(p, isolation_level=None); c.execute("PRAGMA journal_mode=WAL")
c.executescript("""
CREATE TABLE job_queue (
  id          INTEGER PRIMARY KEY,
  queue       INTEGER NOT NULL,
  event_id    TEXT,
  store_code  TEXT,
  sku         TEXT,
  run_at      INTEGER NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until INTEGER
);
CREATE INDEX job_queue_ready  ON job_queue(queue, run_at, id) WHERE lease_until IS NULL;
CREATE INDEX job_queue_leased ON job_queue(lease_until)       WHERE lease_until IS NOT NULL;
CREATE UNIQUE INDEX job_queue_one_pending_sync ON job_queue(queue, store_code, sku) WHERE lease_until IS NULL AND sku IS NOT NULL;
""")
CLAIM = """UPDATE job_queue SET lease_owner = ?1, lease_until = ?2 + ?3, attempts = attempts + 1
  FROM (SELECT id AS claimed FROM job_queue INDEXED BY job_queue_ready
         WHERE queue = ?4 AND lease_until IS NULL AND run_at <= ?2 ORDER BY run_at, id LIMIT ?5) AS c
 WHERE job_queue.id = c.claimed
RETURNING id, event_id, store_code, sku, attempts"""
def fill(n, stats):
    now = int(time.time()*1000)
    if stats == 'stale':
        c.executemany("INSERT INTO job_queue(queue, store_code, sku, run_at) VALUES (2, 'r', ?, ?)", [("S%d"%i, now) for i in range(5)]); c.execute("ANALYZE")
    c.execute("BEGIN")
    c.executemany("INSERT INTO job_queue(queue, store_code, sku, run_at) VALUES (2, ?, ?, ?)", (("retail-%d" % (i%3), "SKU-%07d" % i, now - 1000) for i in range(n)))
    # a finished-but-kept tail of leased rows and another queue, to show they are never visited
    c.executemany("INSERT INTO job_queue(queue, event_id, run_at, lease_owner, lease_until) VALUES (1, ?, ?, 'w', ?)", (("E%d"%i, now-1000, now+60000) for i in range(n//2)))
    c.execute("COMMIT")
for n, stats in ((24000, 'none'), (24000, 'stale'), (1000000, 'none')):
    c.execute("DELETE FROM job_queue"); 
    if stats == 'none': c.execute("DROP TABLE IF EXISTS sqlite_stat1"); c.execute("DROP TABLE IF EXISTS sqlite_stat4")
    c.close(); c = sqlite3.connect(p, isolation_level=None)
    fill(n, stats); c.close(); c = sqlite3.connect(p, isolation_level=None)
    now = int(time.time()*1000)
    plan = [r[3] for r in c.execute("EXPLAIN QUERY PLAN " + CLAIM, ('w1', now, 15000, 2, 32))]
    ts = []
    for _ in range(20):
        t = time.perf_counter(); rows = c.execute(CLAIM, ('w1', int(time.time()*1000), 15000, 2, 32)).fetchall(); ts.append(time.perf_counter()-t)
        ids = [r[0] for r in rows]
        c.execute("DELETE FROM job_queue WHERE id IN (%s) AND lease_owner = ?" % ",".join("?"*len(ids)), ids + ['w1'])
    ts.sort()
    print(f"{n:8d} ready jobs, stats {stats:5s}: claim 32 median {ts[10]*1000:.3f} ms (max {ts[-1]*1000:.3f}); plan {plan}")
