//! Built-in outputs of the Linux host used when no corpus is given (or the corpus lacks the
//! command). `{hostname}` is replaced by the host's current hostname.

/// (command, text) pairs; texts are already normalised (`\n`, no trailing newline).
pub(super) const OUTPUTS: &[(&str, &str)] = &[
    ("ip address show", IP_ADDRESS_SHOW),
    (
        "ip route show",
        "default via 192.168.1.254 dev eth0 proto static\n192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.16",
    ),
    ("cat /etc/os-release", OS_RELEASE),
    ("uptime", " 09:14:27 up 17 days,  4:12,  1 user,  load average: 0.00, 0.01, 0.05"),
    ("df -h", DF_H),
    ("free -m", FREE_M),
];

const IP_ADDRESS_SHOW: &str = "\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host
       valid_lft forever preferred_lft forever
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
    altname enp0s3
    inet 192.168.1.16/24 brd 192.168.1.255 scope global eth0
       valid_lft forever preferred_lft forever
    inet6 fe80::5054:ff:fe12:3456/64 scope link
       valid_lft forever preferred_lft forever";

const OS_RELEASE: &str = "\
PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"
NAME=\"Ubuntu\"
VERSION_ID=\"22.04\"
VERSION=\"22.04.4 LTS (Jammy Jellyfish)\"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL=\"https://www.ubuntu.com/\"
SUPPORT_URL=\"https://help.ubuntu.com/\"
BUG_REPORT_URL=\"https://bugs.launchpad.net/ubuntu/\"
PRIVACY_POLICY_URL=\"https://www.ubuntu.com/legal/terms-and-policies/privacy-policy\"
UBUNTU_CODENAME=jammy";

const DF_H: &str = "\
Filesystem      Size  Used Avail Use% Mounted on
tmpfs           392M  1.1M  391M   1% /run
/dev/sda2        24G  7.9G   15G  36% /
tmpfs           2.0G     0  2.0G   0% /dev/shm
tmpfs           5.0M     0  5.0M   0% /run/lock
/dev/sda1       511M  6.1M  505M   2% /boot/efi
tmpfs           392M  4.0K  392M   1% /run/user/1000";

const FREE_M: &str = "\
               total        used        free      shared  buff/cache   available
Mem:            3915         512        2617           1         785        3166
Swap:           2047           0        2047";
