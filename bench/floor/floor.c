/* floor.c: the least an idle heartbeat node can do: every 200 ms send one
   250-byte UDP datagram to the peer, and receive the peer's; one thread,
   poll() with the deadline as timeout. Used to measure this VM's floor. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
static long long now_ms(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1000LL+t.tv_nsec/1000000;}
int main(int argc,char**argv){
  int me=atoi(argv[1]),peer=atoi(argv[2]);
  int s=socket(AF_INET,SOCK_DGRAM,0);
  struct sockaddr_in a={0};a.sin_family=AF_INET;a.sin_addr.s_addr=htonl(INADDR_LOOPBACK);a.sin_port=htons(me);
  bind(s,(void*)&a,sizeof a);
  struct sockaddr_in p=a;p.sin_port=htons(peer);
  char buf[2048],msg[250];memset(msg,'x',sizeof msg);
  long long next=now_ms();
  for(;;){
    long long n=now_ms();
    if(n>=next){sendto(s,msg,sizeof msg,0,(void*)&p,sizeof p);next+=200;continue;}
    struct pollfd f={s,POLLIN,0};
    if(poll(&f,1,(int)(next-n))>0) recv(s,buf,sizeof buf,0);
  }
}
