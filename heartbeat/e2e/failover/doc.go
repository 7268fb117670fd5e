// Package failover holds the resource-group failover tests of mixed clusters (stock heartbeat 3.0.6 beside hbgo) with real agents.
package failover
