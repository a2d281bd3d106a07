import sqlite3, time, json, sys
from exp import build, q, W, QUEUE, plan
# Startup: 24,000 pending, this worker (new pid => new name) has processed nothing; statistics are fresh.
c = build('/tmp/q18/q2.db', 24000, 0, 2000, 'fresh')
print("stat1 LIdx:", c.execute("SELECT stat FROM sqlite_stat1 WHERE idx='LIdx'").fetchone())
c.close()
ack = q('queries/task/ack.sql'); lock = q('queries/task/lock.sql'); fetch = q('queries/backend/fetch_next.sql')
c = sqlite3.connect('/tmp/q18/q2.db', isolation_level=None)
done = 0
for target in (0, 1000, 5000, 12000, 20000):
    now = int(time.time())
    # the worker drains: `target` jobs are now Done with lock_by = W (apalis' ack never clears lock_by)
    c.execute("UPDATE Jobs SET status='Done', lock_by=?, done_at=? WHERE rowid IN (SELECT rowid FROM Jobs WHERE job_type=? AND status='Pending' ORDER BY id LIMIT ?)", (W, now, QUEUE, target-done))
    done = target
    c.execute("PRAGMA optimize=0x10012")   # what each new hub connection runs
    rows = c.execute("SELECT id FROM Jobs WHERE job_type=? AND status='Pending' ORDER BY id LIMIT 10", (QUEUE,)).fetchall()
    ids = [r[0] for r in rows]
    c.execute("UPDATE Jobs SET status='Running', lock_by=? WHERE id IN (SELECT value FROM json_each(?))", (W, json.dumps(ids)))
    payload = json.dumps([{"task_id": i, "attempt": 1, "status": "Done", "result": {"Ok": None}} for i in ids])
    p = plan(c, ack, (payload, W)).replace("\n", " |")
    c.execute("BEGIN"); t = time.perf_counter(); c.execute(ack, (payload, W)); dt = time.perf_counter()-t
    ch = c.execute("SELECT changes()").fetchone()[0]; c.execute("ROLLBACK")
    c.execute("UPDATE Jobs SET status='Pending', lock_by=NULL WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))
    stat = c.execute("SELECT stat FROM sqlite_stat1 WHERE idx='LIdx'").fetchone()
    print(f"done by this worker {done:6d}: ack of 10 = {dt*1000:8.2f} ms, rows changed {ch}, LIdx stat {stat}, plan:{p}")
