/* floor.c: the least an idle heartbeat node can do: every 200 ms send one
   250-byte UDP datagram to the peer, and receive the peer's; one thread,
   one socket, poll() with the deadline as timeout. Used to measure this
   VM's floor.
   Usage: floor-c ME PEER, each PORT (on 127.0.0.1) or A.B.C.D:PORT; ME is
   the address bound (0.0.0.0:694 as hbgo's ucast reader binds), PEER the
   address sent to (bench/idle-floors.sh's namespace pair: the peer's
   heartbeat-link address, port 694). */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
static long long now_ms(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1000LL+t.tv_nsec/1000000;}
static struct sockaddr_in addr_of(const char*s){
  struct sockaddr_in a={0};a.sin_family=AF_INET;a.sin_addr.s_addr=htonl(INADDR_LOOPBACK);
  const char*c=strrchr(s,':');
  if(c){char h[64];size_t n=(size_t)(c-s);if(n>=sizeof h)n=sizeof h-1;memcpy(h,s,n);h[n]=0;
    if(inet_pton(AF_INET,h,&a.sin_addr)!=1){fprintf(stderr,"floor-c: bad address %s\n",s);exit(2);}s=c+1;}
  a.sin_port=htons(atoi(s));return a;
}
int main(int argc,char**argv){
  if(argc<3){fprintf(stderr,"usage: floor-c ME PEER (PORT or A.B.C.D:PORT)\n");return 2;}
  struct sockaddr_in a=addr_of(argv[1]),p=addr_of(argv[2]);
  int s=socket(AF_INET,SOCK_DGRAM,0);
  if(s<0||bind(s,(void*)&a,sizeof a)<0){perror("floor-c: bind");return 1;}
  char buf[2048],msg[250];memset(msg,'x',sizeof msg);
  long long next=now_ms();
  for(;;){
    long long n=now_ms();
    if(n>=next){sendto(s,msg,sizeof msg,0,(void*)&p,sizeof p);next+=200;continue;}
    struct pollfd f={s,POLLIN,0};
    if(poll(&f,1,(int)(next-n))>0) recv(s,buf,sizeof buf,0);
  }
}
