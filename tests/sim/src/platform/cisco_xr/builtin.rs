//! Built-in IOS XR outputs (the ntc-templates corpus has no `cisco_xr` folder, so these are
//! always used). `{hostname}` is replaced by the device's current hostname. Like XR, every
//! show output starts with a timestamp line.

/// (command, text) pairs; texts are already normalised (`\n`, no trailing newline).
pub(super) const OUTPUTS: &[(&str, &str)] = &[
    ("show version", SHOW_VERSION),
    ("show interfaces brief", SHOW_INTERFACES_BRIEF),
    ("show ipv4 interface brief", SHOW_IPV4_INTERFACE_BRIEF),
    ("show clock", "Mon Mar  2 09:14:27.123 UTC\n09:14:27.123 UTC Mon Mar 2 2020"),
];

/// The first line of every show output.
pub(super) const TIMESTAMP: &str = "Mon Mar  2 09:14:27.123 UTC";

const SHOW_VERSION: &str = "\
Mon Mar  2 09:14:27.123 UTC

Cisco IOS XR Software, Version 6.4.2[Default]
Copyright (c) 2019 by Cisco Systems, Inc.

ROM: System Bootstrap, Version 2.06(20140821:043009) [ASR9K ROMMON],

{hostname} uptime is 2 weeks, 3 days, 4 hours, 12 minutes
System image file is \"disk0:asr9k-os-mbi-6.4.2/0x100305/mbiasr9k-rsp3.vm\"

cisco ASR9K Series (Intel 8 Core(TM) CPU E5-2628L v2 @ 1.90GHz) processor with 12582912K bytes of memory.
Intel 8 Core(TM) CPU E5-2628L v2 @ 1.90GHz processor at 1880MHz, Revision 2.174
ASR 9006 4 Line Card Slot Chassis with V2 AC PEM

4 Management Ethernet
8 GigabitEthernet
2 TenGigE
503k bytes of non-volatile configuration memory.
6271M bytes of hard disk.
11817968k bytes of disk0: (Sector size 512 bytes).
11817968k bytes of disk1: (Sector size 512 bytes).

Configuration register on node 0/RSP0/CPU0 is 0x1922
Boot device on node 0/RSP0/CPU0 is disk0:
Package active on node 0/RSP0/CPU0:
iosxr-infra, V 6.4.2[Default], Cisco Systems, at disk0:iosxr-infra-6.4.2
    Built on Wed Mar 20 11:24:55 UTC 2019
    By iox-ucs-025 in /auto/srcarchive13/prod/6.4.2/asr9k-x64/ws for pie

iosxr-fwding, V 6.4.2[Default], Cisco Systems, at disk0:iosxr-fwding-6.4.2
    Built on Wed Mar 20 11:24:55 UTC 2019
    By iox-ucs-025 in /auto/srcarchive13/prod/6.4.2/asr9k-x64/ws for pie

iosxr-routing, V 6.4.2[Default], Cisco Systems, at disk0:iosxr-routing-6.4.2
    Built on Wed Mar 20 11:24:55 UTC 2019
    By iox-ucs-025 in /auto/srcarchive13/prod/6.4.2/asr9k-x64/ws for pie";

const SHOW_INTERFACES_BRIEF: &str = "\
Mon Mar  2 09:14:27.123 UTC

               Intf       Intf        LineP              Encap  MTU        BW
               Name       State       State               Type (byte)    (Kbps)
--------------------------------------------------------------------------------
                Lo0          up          up           Loopback  1500          0
                Nu0          up          up               Null  1500          0
     Mg0/RSP0/CPU0/0          up          up               ARPA  1514    1000000
           Gi0/0/0/0          up          up               ARPA  1514    1000000
           Gi0/0/0/1  admin-down  admin-down               ARPA  1514    1000000";

const SHOW_IPV4_INTERFACE_BRIEF: &str = "\
Mon Mar  2 09:14:27.123 UTC

Interface                      IP-Address      Status          Protocol Vrf-Name
Loopback0                      10.255.0.3      Up              Up       default
MgmtEth0/RSP0/CPU0/0           192.168.1.13    Up              Up       default
GigabitEthernet0/0/0/0         10.0.0.1        Up              Up       default
GigabitEthernet0/0/0/1         unassigned      Shutdown        Down     default";
