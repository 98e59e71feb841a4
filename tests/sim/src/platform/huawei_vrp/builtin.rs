//! Built-in VRP outputs (the ntc-templates corpus has no `huawei_vrp` folder, so these are
//! always used). `{hostname}` is replaced by the device's current hostname.

/// (command, text) pairs; texts are already normalised (`\n`, no trailing newline).
pub(super) const OUTPUTS: &[(&str, &str)] = &[
    ("display version", DISPLAY_VERSION),
    ("display interface brief", DISPLAY_INTERFACE_BRIEF),
    ("display ip interface brief", DISPLAY_IP_INTERFACE_BRIEF),
    ("display clock", "2020-03-02 09:14:27\nMonday\nTime Zone(DefaultZoneName) : UTC"),
];

const DISPLAY_VERSION: &str = "\
Huawei Versatile Routing Platform Software
VRP (R) software, Version 5.160 (AR2200 V200R010C00SPC600)
Copyright (C) 2011-2020 HUAWEI TECH CO., LTD
Huawei AR2220 Router uptime is 17 days, 4 hours, 12 minutes
BKP 0 version information:
1. PCB      Version  : AR01BAK2A VER.NC
2. If Supporting PoE : No
3. Board    Type     : AR2220
4. MPU Slot  Quantity : 1
5. LPU Slot  Quantity : 6

MPU 0(Master) : uptime is 17 days, 4 hours, 11 minutes
SDRAM Memory Size    : 2048     M bytes
Flash 0 Memory Size  : 512      M bytes
Flash 1 Memory Size  : 2000     M bytes
NVRAM Memory Size    : 512      K bytes
MPU version information :
1. PCB      Version  : AR01SRU2A VER.A
2. MAB      Version  : 0
3. Board    Type     : AR2220
4. CPLD0    Version  : 0
5. BootROM  Version  : 0

SRU 0 : uptime is 17 days, 4 hours, 11 minutes
SRU version information :
1. PCB      Version  : AR01SRU2A VER.A
2. MAB      Version  : 0
3. Board    Type     : AR2220
4. CPLD0    Version  : 0
5. BootROM  Version  : 0";

const DISPLAY_INTERFACE_BRIEF: &str = "\
PHY: Physical
*down: administratively down
^down: standby
(l): loopback
(s): spoofing
(b): BFD down
(e): ETHOAM down
(d): Dampening Suppressed
InUti/OutUti: input utility/output utility
Interface                   PHY   Protocol InUti OutUti   inErrors  outErrors
GigabitEthernet0/0/0        up    up          0%     0%          0          0
GigabitEthernet0/0/1        down  down        0%     0%          0          0
GigabitEthernet0/0/2        *down down        0%     0%          0          0
NULL0                       up    up(s)       0%     0%          0          0";

const DISPLAY_IP_INTERFACE_BRIEF: &str = "\
*down: administratively down
^down: standby
(l): loopback
(s): spoofing
The number of interface that is UP in Physical is 2
The number of interface that is DOWN in Physical is 2
The number of interface that is UP in Protocol is 2
The number of interface that is DOWN in Protocol is 2

Interface                         IP Address/Mask      Physical   Protocol
GigabitEthernet0/0/0              192.168.1.14/24      up         up
GigabitEthernet0/0/1              unassigned           down       down
GigabitEthernet0/0/2              unassigned           *down      down
NULL0                             unassigned           up         up(s)";
