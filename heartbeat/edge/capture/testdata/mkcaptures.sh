#!/bin/sh
# Makes sll2.pcap, sll.pcap and sll-portfilter.pcap: real tcpdump captures
# (tcpdump -i any, Debian 12's tcpdump 4.99 / libpcap 1.10) of stock heartbeat
# payloads from ../../../testdata ucast-sha1 (copied here as ucast-sha1.pcap's
# payload files) replayed between the two ends of a veth pair in two network
# namespaces this script creates and removes. Run as root from this directory:
#   sh mkcaptures.sh /work/shared/testdata/heartbeat-3.0.6/ucast-sha1/payloads
# What goes over the wire, in order:
#   4 datagrams 10.99.0.1:40001 -> 10.99.0.2:694 (payloads 0001..0004)
#   1 datagram  10.99.0.1:40001 -> 10.99.0.2:695 (payload 0005; must be skipped)
#   2 datagrams 10.99.0.2:40002 -> 10.99.0.1:694 (payloads 0007, 0008)
#   1 datagram  [fd99::1]:40003 -> [fd99::2]:694 (payload 0006)
#   then both MTUs drop to 200 and 1 datagram 10.99.0.1:40004 -> 10.99.0.2:694
#   (payload 0010, 312 bytes) leaves in two IPv4 fragments.
# sll2.pcap and sll.pcap have no filter (they hold every fragment);
# sll-portfilter.pcap used 'udp port 694', which keeps only first fragments.
set -eu
P=${1:?payload directory}
N1=hbcapfx1 N2=hbcapfx2
cleanup() { ip netns del $N1 2>/dev/null || true; ip netns del $N2 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $N1; ip netns add $N2
ip link add hbcfx1 netns $N1 type veth peer name hbcfx2 netns $N2
for n in 1 2; do
  ns=hbcapfx$n
  ip -n $ns link set lo up
  ip -n $ns addr add 10.99.0.$n/24 dev hbcfx$n
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.hbcfx$n.disable_ipv6=0
  ip -n $ns addr add fd99::$n/64 dev hbcfx$n nodad
  ip -n $ns link set hbcfx$n up
done
out=$(pwd)
ip netns exec $N2 tcpdump -q -i any -s 0 -w "$out/sll2.pcap" 2>/dev/null & T1=$!
ip netns exec $N2 tcpdump -q -i any -y LINUX_SLL -s 0 -w "$out/sll.pcap" 2>/dev/null & T2=$!
ip netns exec $N2 tcpdump -q -i any -y LINUX_SLL -s 0 -w "$out/sll-portfilter.pcap" udp port 694 2>/dev/null & T3=$!
sleep 1
send() { # ns src dst port file [nofrag]
  ip netns exec "$1" python3 -c '
import socket, sys
src, dst, port, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if fam == socket.AF_INET:
    s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT: let the kernel fragment
s.bind((src.rsplit(":", 1)[0].strip("[]"), int(src.rsplit(":", 1)[1])))
s.sendto(open(path, "rb").read(), (dst, port))
' "$2" "$3" "$4" "$P/$5"
  sleep 0.05
}
send $N1 10.99.0.1:40001 10.99.0.2 694 0001-status.bin
send $N1 10.99.0.1:40001 10.99.0.2 694 0002-status.bin
send $N1 10.99.0.1:40001 10.99.0.2 694 0003-status.bin
send $N1 10.99.0.1:40001 10.99.0.2 694 0004-status.bin
send $N1 10.99.0.1:40001 10.99.0.2 695 0005-status.bin
send $N2 10.99.0.2:40002 10.99.0.1 694 0007-status.bin
send $N2 10.99.0.2:40002 10.99.0.1 694 0008-status.bin
send $N1 [fd99::1]:40003 fd99::2 694 0006-status.bin
ip -n $N1 link set hbcfx1 mtu 200; ip -n $N2 link set hbcfx2 mtu 200
send $N1 10.99.0.1:40004 10.99.0.2 694 0010-reqnodes.bin
sleep 1
kill -INT $T1 $T2 $T3; wait
