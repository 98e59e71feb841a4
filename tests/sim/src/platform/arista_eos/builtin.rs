//! Built-in EOS outputs used when no corpus is given (or the corpus lacks the command).
//! `{hostname}` is replaced by the device's current hostname.

/// (command, text) pairs; texts are already normalised (`\n`, no trailing newline).
pub(super) const OUTPUTS: &[(&str, &str)] = &[
    ("show version", SHOW_VERSION),
    ("show interfaces", SHOW_INTERFACES),
    ("show interfaces status", SHOW_INTERFACES_STATUS),
    ("show ip interface brief", SHOW_IP_INTERFACE_BRIEF),
    ("show clock", SHOW_CLOCK),
    ("show hostname", "Hostname: {hostname}\nFQDN:     {hostname}"),
];

const SHOW_VERSION: &str = "\
Arista vEOS-lab
Hardware version:
Serial number: 5A2B3C4D5E6F
Hardware MAC address: 5254.0012.3456
System MAC address: 5254.0012.3456

Software image version: 4.28.3M
Architecture: x86_64
Internal build version: 4.28.3M-28837868.4283M
Internal build ID: 1cf9d1b6-3b85-4a26-8e9b-4bd7e2ed5e86
Image format version: 1.0
Image optimization: None

Uptime: 2 weeks, 3 days, 4 hours and 12 minutes
Total memory: 4002196 kB
Free memory: 2710560 kB";

const SHOW_INTERFACES: &str = "\
Ethernet1 is up, line protocol is up (connected)
  Hardware is Ethernet, address is 5254.0012.3401 (bia 5254.0012.3401)
  Ethernet MTU 9214 bytes, BW 1000000 kbit
  Full-duplex, 1Gb/s, auto negotiation: off, uni-link: n/a
  Up 17 days, 4 hours, 12 minutes, 9 seconds
  Loopback Mode : None
  2 link status changes since last clear
  Last clearing of \"show interface\" counters never
  5 minutes input rate 1.21 kbps (0.0% with framing overhead), 2 packets/sec
  5 minutes output rate 1.18 kbps (0.0% with framing overhead), 2 packets/sec
     3121504 packets input, 264821322 bytes
     Received 12 broadcasts, 80231 multicast
     0 runts, 0 giants
     0 input errors, 0 CRC, 0 alignment, 0 symbol, 0 input discards
     0 PAUSE input
     3119880 packets output, 261733104 bytes
     Sent 10 broadcasts, 80224 multicast
     0 output errors, 0 collisions
     0 late collision, 0 deferred, 0 output discards
     0 PAUSE output
Ethernet2 is administratively down, line protocol is down (disabled)
  Hardware is Ethernet, address is 5254.0012.3402 (bia 5254.0012.3402)
  Ethernet MTU 9214 bytes, BW 1000000 kbit
  Full-duplex, 1Gb/s, auto negotiation: off, uni-link: n/a
  Down 17 days, 4 hours, 12 minutes, 9 seconds
  Loopback Mode : None
  0 link status changes since last clear
  Last clearing of \"show interface\" counters never
  5 minutes input rate 0 bps (0.0% with framing overhead), 0 packets/sec
  5 minutes output rate 0 bps (0.0% with framing overhead), 0 packets/sec
     0 packets input, 0 bytes
     Received 0 broadcasts, 0 multicast
     0 runts, 0 giants
     0 input errors, 0 CRC, 0 alignment, 0 symbol, 0 input discards
     0 PAUSE input
     0 packets output, 0 bytes
     Sent 0 broadcasts, 0 multicast
     0 output errors, 0 collisions
     0 late collision, 0 deferred, 0 output discards
     0 PAUSE output
Management1 is up, line protocol is up (connected)
  Hardware is Ethernet, address is 5254.0012.3400 (bia 5254.0012.3400)
  Internet address is 192.168.1.12/24
  Broadcast address is 255.255.255.255
  IP MTU 1500 bytes
  Full-duplex, 1Gb/s, auto negotiation: on, uni-link: n/a
  Up 17 days, 4 hours, 12 minutes, 9 seconds";

const SHOW_INTERFACES_STATUS: &str = "\
Port       Name   Status       Vlan     Duplex Speed  Type            Flags Encapsulation
Et1               connected    1        full   1G     EbraTestPhyPort
Et2               disabled     1        full   1G     EbraTestPhyPort
Et3               notconnect   1        full   1G     EbraTestPhyPort
Ma1               connected    routed   a-full a-1G   10/100/1000";

const SHOW_IP_INTERFACE_BRIEF: &str = "\
                                                                          Address
Interface         IP Address            Status       Protocol          MTU    Owner
----------------- --------------------- ------------ -------------- --------- -------
Management1       192.168.1.12/24       up           up                1500";

const SHOW_CLOCK: &str = "Mon Mar  2 09:14:27 2020\nTimezone: UTC\nClock source: local";
