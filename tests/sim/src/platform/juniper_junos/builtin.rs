//! Built-in Junos outputs used when no corpus is given (or the corpus lacks the command).
//! `{hostname}` is replaced by the device's current hostname.

/// (command, text) pairs; texts are already normalised (`\n`, no trailing newline).
pub(super) const OUTPUTS: &[(&str, &str)] = &[
    ("show version", SHOW_VERSION),
    ("show interfaces terse", SHOW_INTERFACES_TERSE),
    ("show system uptime", SHOW_SYSTEM_UPTIME),
    ("show chassis hardware", SHOW_CHASSIS_HARDWARE),
];

const SHOW_VERSION: &str = "\
Hostname: {hostname}
Model: vmx
Junos: 20.4R3.8
JUNOS OS Kernel 64-bit  [20210901.8fb9c6f_builder_stable_12_204]
JUNOS OS libs [20210901.8fb9c6f_builder_stable_12_204]
JUNOS OS runtime [20210901.8fb9c6f_builder_stable_12_204]
JUNOS OS time zone information [20210901.8fb9c6f_builder_stable_12_204]
JUNOS network stack and utilities [20211101.183547_builder_junos_204_r3]
JUNOS libs [20211101.183547_builder_junos_204_r3]
JUNOS OS libs compat32 [20210901.8fb9c6f_builder_stable_12_204]
JUNOS OS 32-bit compatibility [20210901.8fb9c6f_builder_stable_12_204]
JUNOS libs compat32 [20211101.183547_builder_junos_204_r3]
JUNOS runtime [20211101.183547_builder_junos_204_r3]
JUNOS Packet Forwarding Engine Simulation Package [20211101.183547_builder_junos_204_r3]
JUNOS sflow mx [20211101.183547_builder_junos_204_r3]
JUNOS py extensions [20211101.183547_builder_junos_204_r3]
JUNOS py base [20211101.183547_builder_junos_204_r3]
JUNOS OS vmguest [20210901.8fb9c6f_builder_stable_12_204]
JUNOS OS crypto [20210901.8fb9c6f_builder_stable_12_204]
JUNOS OS boot-ve files [20210901.8fb9c6f_builder_stable_12_204]
JUNOS na telemetry [20.4R3.8]
JUNOS mx libs compat32 [20211101.183547_builder_junos_204_r3]
JUNOS mx runtime [20211101.183547_builder_junos_204_r3]
JUNOS RPD Telemetry Application [20.4R3.8]
JUNOS Routing mpls-oam-basic [20211101.183547_builder_junos_204_r3]
JUNOS Routing mpls-oam-advanced [20211101.183547_builder_junos_204_r3]
JUNOS Routing lsys [20211101.183547_builder_junos_204_r3]
JUNOS Routing controller-internal [20211101.183547_builder_junos_204_r3]
JUNOS Routing controller-external [20211101.183547_builder_junos_204_r3]
JUNOS Routing 32-bit Compatible Version [20211101.183547_builder_junos_204_r3]
JUNOS Routing aggregated [20211101.183547_builder_junos_204_r3]
JUNOS Redis [20211101.183547_builder_junos_204_r3]";

const SHOW_INTERFACES_TERSE: &str = "\
Interface               Admin Link Proto    Local                 Remote
ge-0/0/0                up    up
ge-0/0/0.0              up    up   inet     192.168.1.15/24
                                   multiservice
ge-0/0/1                up    down
ge-0/0/2                up    down
lo0                     up    up
lo0.16385               up    up   inet
fxp0                    up    up
fxp0.0                  up    up   inet     10.0.0.15/24";

const SHOW_SYSTEM_UPTIME: &str = "\
Current time: 2020-03-02 09:14:27 UTC
Time Source:  LOCAL CLOCK
System booted: 2020-02-14 05:02:18 UTC (2w3d 04:12 ago)
Protocols started: 2020-02-14 05:04:01 UTC (2w3d 04:10 ago)
Last configured: 2020-03-02 09:14:27 UTC (00:00:00 ago) by admin
 9:14AM  up 17 days,  4:12, 1 user, load averages: 0.21, 0.18, 0.16";

const SHOW_CHASSIS_HARDWARE: &str = "\
Hardware inventory:
Item             Version  Part number  Serial number     Description
Chassis                                VM5E5C1F8A6E      VMX
Midplane
Routing Engine 0                                         RE-VMX
CB 0                                                     VMX SCB
FPC 0                                                    Virtual FPC
  CPU            Rev. 1.0 RIOT-LITE    BUILTIN
  MIC 0                                                  Virtual
    PIC 0                 BUILTIN      BUILTIN           Virtual";
