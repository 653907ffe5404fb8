"""Sends one seed-shaped event with python-logstash-async to HOST:PORT (tcp json_lines).

usage: logstash_async_send.py HOST PORT FORMAT [DATABASE]
FORMAT: logstash (LogstashFormatter defaults, extra_prefix='extra'),
        flat (LogstashFormatter(extra_prefix='')), ecs (LogstashEcsFormatter).
DATABASE: an SQLite path (like the seed's database_path='logstash.db'); memory when absent.
"""
import logging
import sys

from logstash_async.constants import constants
from logstash_async.formatter import LogstashEcsFormatter, LogstashFormatter
from logstash_async.handler import AsynchronousLogstashHandler

host, port, fmt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
database = sys.argv[4] if len(sys.argv) > 4 else None
constants.QUEUED_EVENTS_FLUSH_INTERVAL = 0.1
constants.QUEUE_CHECK_INTERVAL = 0.1

handler = AsynchronousLogstashHandler(host, port, database_path=database)
if fmt == "flat":
    handler.setFormatter(LogstashFormatter(extra_prefix=""))
elif fmt == "ecs":
    handler.setFormatter(LogstashEcsFormatter())
elif fmt != "logstash":
    sys.exit(f"unknown format {fmt}")

logger = logging.getLogger("python-logstash-logger")
logger.setLevel(logging.INFO)
logger.addHandler(handler)
extra = {"user": "user1", "action": "login", "duration": 1.5, "tags": ["python", "webapp"]}
logger.info("User user1 performed login in 1.50s", extra=extra)
handler.flush()
logging.shutdown()
