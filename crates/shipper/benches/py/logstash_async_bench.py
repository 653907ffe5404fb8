"""The seed's Example 1 at full speed, for `cargo xtask bench shipper`: COUNT events with
user/action/duration/tags and the seed's three message templates, through
python-logstash-async's AsynchronousLogstashHandler (its default settings) to HOST:PORT.

usage: logstash_async_bench.py HOST PORT COUNT [DATABASE]
DATABASE: the SQLite queue (the seed's database_path='logstash.db'); memory when absent.
"""
import logging
import random
import sys

from logstash_async.handler import AsynchronousLogstashHandler

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
database = sys.argv[4] if len(sys.argv) > 4 else None

logger = logging.getLogger("python-logstash-logger")
logger.setLevel(logging.INFO)
logger.addHandler(AsynchronousLogstashHandler(host, port, database_path=database))

rng = random.Random(0)
log_levels = ["INFO", "WARNING", "ERROR"]
actions = ["login", "search", "purchase", "logout"]
users = ["user1", "user2", "user3", "user4", "user5"]
for _ in range(count):
    level = rng.choice(log_levels)
    action = rng.choice(actions)
    user = rng.choice(users)
    duration = rng.uniform(0.1, 5.0)
    extra = {"user": user, "action": action, "duration": duration, "tags": ["python", "webapp"]}
    if level == "INFO":
        logger.info(f"User {user} performed {action} in {duration:.2f}s", extra=extra)
    elif level == "WARNING":
        logger.warning(f"Slow action detected: {action} took {duration:.2f}s", extra=extra)
    else:
        logger.error(f"Error during {action} by {user}", extra=extra)
logging.shutdown()
