"""Local infrastructure for trying and testing clickstream: the tansu test broker and a local
Spark standalone cluster with its Thrift server."""
