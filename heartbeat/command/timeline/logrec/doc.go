// Package logrec records failover sequences on a real two-node cluster (logs, journals and the client's measured outages) as heartbeat log's testdata; it holds only tests.
package logrec
