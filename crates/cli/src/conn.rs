//! Connection options shared by every subcommand that talks to Elasticsearch
//! (`--es`, `--user`/`--password`, `--api-key`, `--ca-cert`, `--ca-fingerprint`); built in issue 4.
