// Package planner is heartbeat v1's resource manager as a pure state machine: it decides which haresources groups to start or stop on which event and speaks the resource protocol with the peer.
//
// The daemon feeds events to Planner.Step and carries out the returned
// actions in order; it never asks the planner anything else except
// NextDeadline (when to send the next Tick), Word (`cl_status rscstatus`)
// and FailedHere. The planner reads no clock: Tick carries the time, and
// every other event is taken to happen at the last Tick's time, so the
// daemon should Tick before feeding events after a pause.
//
// Contract with the daemon (membership and transport):
//   - The planner speaks typed messages (Message: Starting, Resource,
//     AskResources, HbTakeover, IPRequest, IPRequestResp, Shutdone,
//     StonithResult), never the wire format; heartbeat/core/node/rscwire
//     spells them on the wire in stock's field order, and the daemon adds
//     the control fields (src, seq, hg, ts, …). Every resource-layer message
//     the node receives must come back as Msg, including our own loopback
//     copies (stock acts on those: ask_resources from self, ip-request-resp
//     to self, resource from self with info=mach_down or shutdown). Msg.From
//     is the sender membership authenticated; the planner acts on it, and
//     the translation drops a message whose src names another node.
//   - CommUp when membership declares comm up (PROTOCOL §8.2); PeerStatus on
//     every status change of the peer, with "dead" when it is declared dead;
//     PartitionHealed when it returns with the same generation (§6.4).
//   - Standby and Takeover are the hb_standby/hb_takeover commands: the
//     planner writes the scripts' log lines (ScriptLog) and the message. A
//     message a stock script writes into the FIFO is sent by the daemon as
//     is and comes back as Msg; it must not also be fed as Standby.
//   - FastStart must be set only when the daemon knows the peer is hbgo:
//     nothing on the wire may differ from stock, so the knowledge has to come
//     from configuration (hbgo.cf), not from a message field.
//
// Contract with the executor:
//   - Op lists group keys; the executor runs the groups one at a time in that
//     order, and runs Ops one at a time in emission order (stock queues its
//     resource jobs the same way). An Op may list no group: it stands for a
//     stock child with nothing to start (req_our_resources, mach_down) and
//     must still be reported done when its turn comes, because what that
//     child sends goes out then (PROTOCOL §11.3: req_our_resources' child
//     sends ip-request-resp to us and its resource message). Take starts a group's resources in order,
//     skipping those whose status says running; on a failure it stops the
//     whole group in reverse and reports StartFailed with the index. Give
//     stops in reverse; a failing stop is retried stop_retries times 1 s apart
//     and reported as StopFailed with StillRunning from a final status.
//     Groups not held are still "stopped" (COMPAT §4.10).
//   - OpDone reports one GroupResult per group. The executor writes
//     ResourceManager's own per-resource lines (Acquiring/Releasing resource
//     group, Running … start, Return code, Giving up resources due to
//     failure of …, Retrying failed stop operation); the planner writes the
//     lines of stock's daemon and of harc, mach_down, ip-request-resp,
//     hb_standby and the verifyallidle and stop-failure texts.
//   - Fence means reboot now (COMPAT §4.8); after it the planner does nothing.
//   - Held, before comm up, reports the group keys whose first resource's
//     status says running (COMPAT §1 item 4); the planner stops them and
//     delays comm-up processing until they are stopped (hbgo departure c).
//   - Stonith asks for a reset of the peer with the configured device; the
//     answer is StonithDone with OK, badhost or bad.
//
// hbgo's deliberate departures from stock, each logged with an "hbgo:" text:
// (a) a start failure hands over exactly the failed group's kind (local or
// foreign) at once instead of `hb_standby foreign` 30 s later; (b) a group
// that failed to start here is not started here again automatically (own
// start, peer-death takeover, standby or auto_failback acquisitions) until
// the admin runs hb_takeover on this node; a group skipped because the peer
// just gave it up is reported CRIT as stopped on both nodes; (c) groups found
// running at start are stopped before joining; (d) FastStart; (e) a node
// alone in ha.cf (no other node line) acquires its groups at comm up and
// can stop, where stock's nice_failback waits for a peer forever; (f) a group
// the resource monitor handed over after repeated failures (Block) is not
// taken back here by auto_failback, the peer's standby, req_our_resources or
// hb_takeover until the block ends, but is still taken over when the peer
// dies or leaves (block.go); (g) a standby acquisition does not start the
// groups that mach_down or an op under way starts (on the peer's shutdone
// stock's set names them: a second start of each), logged at debug level;
// its op keeps its turn (Op.InTurn), so every message goes out as stock's
// would (standby.go).
//
// ipfail seam: stock's ipfail asks for a standby by sending
// `t=ask_resources rsc_hold=all|foreign info=me` with API client fields
// (from_id=ipfail, to_id, client_gen) through the daemon. An emulation
// should send that message itself through the API path; its loopback copy
// reaches the planner as Msg and is handled exactly like hb_standby's
// (without the hb_standby script line), including the rejections of
// PROTOCOL §11.5. The planner needs no ipfail-specific event.
package planner
