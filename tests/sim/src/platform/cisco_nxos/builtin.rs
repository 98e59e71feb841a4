//! Built-in NX-OS outputs used when no corpus is given (or the corpus lacks the command).
//! `{hostname}` is replaced by the device's current hostname.

/// (command, text) pairs; texts are already normalised (`\n`, no trailing newline).
pub(super) const OUTPUTS: &[(&str, &str)] = &[
    ("show version", SHOW_VERSION),
    ("show interface brief", SHOW_INTERFACE_BRIEF),
    ("show ip interface brief", SHOW_IP_INTERFACE_BRIEF),
    ("show clock", SHOW_CLOCK),
    ("show hostname", "{hostname}"),
    ("show inventory", SHOW_INVENTORY),
];

const SHOW_VERSION: &str = "\
Cisco Nexus Operating System (NX-OS) Software
TAC support: http://www.cisco.com/tac
Copyright (C) 2002-2021, Cisco and/or its affiliates.
All rights reserved.
The copyrights to certain works contained in this software are
owned by other third parties and used and distributed under their own
licenses, such as open source.  This software is provided \"as is,\" and unless
otherwise stated, there is no warranty, express or implied, including but not
limited to warranties of merchantability and fitness for a particular purpose.
Certain components of this software are licensed under
the GNU General Public License (GPL) version 2.0 or
GNU General Public License (GPL) version 3.0  or the GNU
Lesser General Public License (LGPL) Version 2.1 or
Lesser General Public License (LGPL) Version 2.0.
A copy of each such license is available at
http://www.opensource.org/licenses/gpl-2.0.php and
http://opensource.org/licenses/gpl-3.0.html and
http://www.opensource.org/licenses/lgpl-2.1.php and
http://www.gnu.org/licenses/old-licenses/library.txt.

Software
  BIOS: version
  NXOS: version 9.3(8)
  BIOS compile time:
  NXOS image file is: bootflash:///nxos.9.3.8.bin
  NXOS compile time:  8/31/2021 12:00:00 [08/31/2021 21:51:55]


Hardware
  cisco Nexus9000 C9300v Chassis
  Intel(R) Xeon(R) CPU E5-2683 v4 @ 2.10GHz with 16409064 kB of memory.
  Processor Board ID 9MBWZ6ILXRO

  Device name: {hostname}
  bootflash:    4287040 kB
Kernel uptime is 17 day(s), 4 hour(s), 12 minute(s), 9 second(s)

Last reset
  Reason: Unknown
  System version:
  Service:

plugin
  Core Plugin, Ethernet Plugin

Active Package(s):";

const SHOW_INTERFACE_BRIEF: &str = "
--------------------------------------------------------------------------------
Ethernet      VLAN    Type Mode   Status  Reason                 Speed     Port
Interface                                                                    Ch #
--------------------------------------------------------------------------------
Eth1/1        1       eth  access up      none                       1000(D) --
Eth1/2        1       eth  access down    Administratively down      auto(D) --
Eth1/3        1       eth  access down    Administratively down      auto(D) --
Eth1/4        1       eth  access down    Administratively down      auto(D) --

--------------------------------------------------------------------------------
Port   VRF          Status IP Address                              Speed    MTU
--------------------------------------------------------------------------------
mgmt0  --           up     192.168.1.11                            1000     1500";

const SHOW_IP_INTERFACE_BRIEF: &str = "\
IP Interface Status for VRF \"default\"(1)
Interface            IP Address      Interface Status
Lo0                  10.255.0.1      protocol-up/link-up/admin-up";

const SHOW_CLOCK: &str = "09:14:27.123 UTC Mon Mar 02 2020\nTime source is NTP";

const SHOW_INVENTORY: &str = "\
NAME: \"Chassis\",  DESCR: \"Nexus9000 C9300v Chassis\"
PID: N9K-C9300v          ,  VID:      ,  SN: 9MBWZ6ILXRO

NAME: \"Slot 1\",  DESCR: \"Nexus 9000v 64 port Ethernet Module\"
PID: N9K-X9364v          ,  VID:      ,  SN: 9NYG23LW1HQ";
