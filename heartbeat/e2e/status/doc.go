// Package status holds the namespace tests of heartbeat status and the metrics sinks against a real hbgo pair and a pair with a stock heartbeat node.
package status
