// Package ipfail holds the namespace tests of hbgo's ipfail emulation: a ping node cut from one node moves the groups as stock's ipfail does, with hbgo on both nodes and beside a stock node running the real ipfail.
package ipfail
