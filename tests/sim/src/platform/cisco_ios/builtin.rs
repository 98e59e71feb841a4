//! Built-in IOS outputs used when no corpus is given (or the corpus lacks the command).
//! `{hostname}` is replaced by the device's current hostname.

/// (command, text) pairs; texts are already normalised (`\n`, no trailing newline).
pub(super) const OUTPUTS: &[(&str, &str)] = &[
    ("show version", SHOW_VERSION),
    ("show ip interface brief", SHOW_IP_INTERFACE_BRIEF),
    ("show clock", SHOW_CLOCK),
    ("show inventory", SHOW_INVENTORY),
];

const SHOW_VERSION: &str = "\
Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version 15.7(3)M5, RELEASE SOFTWARE (fc1)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2019 by Cisco Systems, Inc.
Compiled Wed 30-Jan-19 07:45 by prod_rel_team

ROM: System Bootstrap, Version 15.0(1r)M16, RELEASE SOFTWARE (fc1)

{hostname} uptime is 2 weeks, 3 days, 4 hours, 12 minutes
System returned to ROM by power-on
System restarted at 09:14:27 UTC Mon Mar 2 2020
System image file is \"flash0:c2900-universalk9-mz.SPA.157-3.M5.bin\"
Last reload type: Normal Reload
Last reload reason: power-on



This product contains cryptographic features and is subject to United
States and local country laws governing import, export, transfer and
use. Delivery of Cisco cryptographic products does not imply
third-party authority to import, export, distribute or use encryption.
Importers, exporters, distributors and users are responsible for
compliance with U.S. and local country laws. By using this product you
agree to comply with applicable laws and regulations. If you are unable
to comply with U.S. and local laws, return this product immediately.

A summary of U.S. laws governing Cisco cryptographic products may be found at:
http://www.cisco.com/wwl/export/crypto/tool/stqrg.html

If you require further assistance please contact us by sending email to
export@cisco.com.

Cisco CISCO2911/K9 (revision 1.0) with 483328K/40960K bytes of memory.
Processor board ID FTX1840ALBY
3 Gigabit Ethernet interfaces
1 terminal line
DRAM configuration is 64 bits wide with parity enabled.
255K bytes of non-volatile configuration memory.
250880K bytes of ATA System CompactFlash 0 (Read/Write)


License Info:

License UDI:

-------------------------------------------------
Device#   PID                   SN
-------------------------------------------------
*0        CISCO2911/K9          FTX1840ALBY



Technology Package License Information for Module:'c2900'

-----------------------------------------------------------------
Technology    Technology-package           Technology-package
              Current       Type           Next reboot
------------------------------------------------------------------
ipbase        ipbasek9      Permanent      ipbasek9
security      None          None           None
uc            None          None           None
data          None          None           None

Configuration register is 0x2102";

const SHOW_IP_INTERFACE_BRIEF: &str = "\
Interface                  IP-Address      OK? Method Status                Protocol
GigabitEthernet0/0         unassigned      YES NVRAM  up                    up
GigabitEthernet0/1         unassigned      YES NVRAM  administratively down down
GigabitEthernet0/2         unassigned      YES NVRAM  administratively down down";

const SHOW_CLOCK: &str = "*09:14:27.123 UTC Mon Mar 2 2020";

const SHOW_INVENTORY: &str = "\
NAME: \"CISCO2911/K9\", DESCR: \"CISCO2911/K9 chassis, Hw Serial#: FTX1840ALBY, Hw Revision: 1.0\"
PID: CISCO2911/K9      , VID: V06  , SN: FTX1840ALBY

NAME: \"C2911 Mother board 3GE, integrated VPN and 4W on Slot 0\", DESCR: \"C2911 Mother board 3GE, integrated VPN and 4W\"
PID: CISCO2911/K9      , VID: V06  , SN: FOC18395YRR

NAME: \"PVDM3-32 on Slot 0 SubSlot 4\", DESCR: \"PVDMIII-32 DSP SIMM with two DSPs on Slot 0 SubSlot 4\"
PID: PVDM3-32          , VID: V01  , SN: FOC18380EVL";
