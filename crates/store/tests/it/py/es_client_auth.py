"""Tip 3 of the seed with the 8.x client: basic auth (and an API key) against a store that
requires credentials; wrong or missing credentials are refused with 401.

usage: es_client_auth.py URL USER PASSWORD API_KEY_ID API_KEY
"""
import json
import sys
import warnings

from elasticsearch import AuthenticationException, Elasticsearch

URL, USER, PASSWORD, KEY_ID, KEY = sys.argv[1:6]


def check(what, got, want):
    if got != want:
        print(f"MISMATCH {what}: got {got!r}, want {want!r}", file=sys.stderr)
        sys.exit(1)


def refused(es):
    try:
        es.info()
    except AuthenticationException as e:
        return e.meta.status, e.body["error"]["type"]
    return None


def main():
    warnings.simplefilter("ignore", DeprecationWarning)
    # The seed's form (`http_auth=`), with the URL form that 8.x clients need.
    es = Elasticsearch([URL], http_auth=(USER, PASSWORD))
    check("http_auth info", es.info()["tagline"], "You Know, for Search")
    check("basic_auth ping", Elasticsearch(URL, basic_auth=(USER, PASSWORD)).ping(), True)
    check("api_key info", Elasticsearch(URL, api_key=(KEY_ID, KEY)).info()["version"]["distribution"], "sluice")
    check("no credentials", refused(Elasticsearch(URL)), (401, "security_exception"))
    check("wrong password", refused(Elasticsearch(URL, basic_auth=(USER, PASSWORD + "x"))), (401, "security_exception"))
    check("wrong api key", refused(Elasticsearch(URL, api_key=(KEY_ID, KEY + "x"))), (401, "security_exception"))
    print(json.dumps({"auth": "ok"}))


if __name__ == "__main__":
    main()
