"""Sends events to a Logstash tcp input with python-logstash-async's AsynchronousLogstashHandler,
the way the seed's Example 1 does (same handler, same `extra` fields), then waits until the
handler has flushed everything.

usage: logstash_async_sender.py HOST PORT COUNT DATABASE_PATH
"""
import logging
import random
import sys

from logstash_async.constants import constants
from logstash_async.handler import AsynchronousLogstashHandler

# Flush quickly instead of every 10 s (the defaults are for production use).
constants.QUEUED_EVENTS_FLUSH_INTERVAL = 0.1
constants.QUEUED_EVENTS_FLUSH_COUNT = 50


def main():
    host, port, count, database_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    logger = logging.getLogger('python-logstash-logger')
    logger.setLevel(logging.INFO)
    handler = AsynchronousLogstashHandler(host, port, database_path=database_path)
    logger.addHandler(handler)

    rng = random.Random(42)
    actions = ['login', 'search', 'purchase', 'logout']
    users = ['user1', 'user2', 'user3', 'user4', 'user5']
    for i in range(count):
        level = ['INFO', 'WARNING', 'ERROR'][i % 3]
        action = rng.choice(actions)
        user = rng.choice(users)
        duration = rng.uniform(0.1, 5.0)
        extra = {'user': user, 'action': action, 'duration': duration,
                 'tags': ['python', 'webapp'], 'seq': i}
        if level == 'INFO':
            logger.info(f"User {user} performed {action} in {duration:.2f}s", extra=extra)
        elif level == 'WARNING':
            logger.warning(f"Slow action detected: {action} took {duration:.2f}s", extra=extra)
        else:
            logger.error(f"Error during {action} by {user}", extra=extra)

    # Closing the handler stops its worker thread, which first sends every queued event
    # (a forced flush); events it could not send stay in the sqlite database.
    logging.shutdown()


if __name__ == '__main__':
    main()
