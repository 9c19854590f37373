//! A deliberately plain second reading of BTSnoop H4 logs for the real-data test in
//! `tests/btsnoop.rs`: fixed offsets straight from the Bluetooth Core Specification and the
//! BTSnoop format, sharing no code with the library, so the two can check each other.

use std::collections::{BTreeMap, BTreeSet};

/// What the plain reading counts in one log.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) records: u64,
    /// Records by H4 packet type byte.
    pub(crate) h4_types: BTreeMap<u8, u64>,
    /// LE Advertising Report (0x02) and LE Extended Advertising Report (0x0D) reports.
    pub(crate) adv_reports: u64,
    /// Reports carrying GAEN service data (AD type 0x16, UUID 0xFD6F), by (address type,
    /// address in wire order).
    pub(crate) gaen_by_transmitter: BTreeMap<(u8, [u8; 6]), u64>,
    /// RPIs of those reports.
    pub(crate) received_rpis: BTreeSet<[u8; 16]>,
    /// Commands setting own advertising or scan response data.
    pub(crate) own_data_commands: u64,
    /// Commands setting an own random address.
    pub(crate) own_address_commands: u64,
    /// RPIs in the own advertising data.
    pub(crate) own_rpis: BTreeSet<[u8; 16]>,
    pub(crate) min_ts: u64,
    pub(crate) max_ts: u64,
}

fn be32(b: &[u8]) -> usize {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
}

/// The RPI of the GAEN service data in AD bytes, if any.
pub(crate) fn gaen_rpi(ad: &[u8]) -> Option<[u8; 16]> {
    let mut i = 0;
    while i < ad.len() {
        let len = ad[i] as usize;
        if len == 0 || i + 1 + len > ad.len() {
            return None;
        }
        let s = &ad[i + 1..i + 1 + len];
        if s.len() >= 3 + 16 && s[0] == 0x16 && s[1] == 0x6F && s[2] == 0xFD {
            return Some(s[3..19].try_into().unwrap());
        }
        i += 1 + len;
    }
    None
}

/// Read a whole log; panics on anything unexpected (the test data is known to be clean).
pub(crate) fn count(bytes: &[u8]) -> Counts {
    assert_eq!(&bytes[..8], b"btsnoop\0");
    assert_eq!(be32(&bytes[12..16]), 1002);
    let mut c = Counts {
        min_ts: u64::MAX,
        ..Counts::default()
    };
    let mut off = 16;
    while off < bytes.len() {
        let incl = be32(&bytes[off + 4..]);
        let ts = u64::from_be_bytes(bytes[off + 16..off + 24].try_into().unwrap());
        let p = &bytes[off + 24..off + 24 + incl];
        off += 24 + incl;
        c.records += 1;
        c.min_ts = c.min_ts.min(ts);
        c.max_ts = c.max_ts.max(ts);
        *c.h4_types.entry(p[0]).or_default() += 1;
        match p[0] {
            // Event: 04 code len params; LE Meta 0x3E: subevent, number of reports, reports.
            0x04 if p[1] == 0x3E && (p[3] == 0x02 || p[3] == 0x0D) => {
                let mut q = 5;
                for _ in 0..p[4] {
                    // Legacy: type, addr type, addr[6], len, data, rssi.
                    // Extended: type[2], addr type, addr[6], phy, phy, sid, tx, rssi,
                    // interval[2], direct type, direct addr[6], len, data.
                    let (at, addr, len_at) = if p[3] == 0x02 {
                        (p[q + 1], &p[q + 2..q + 8], q + 8)
                    } else {
                        (p[q + 2], &p[q + 3..q + 9], q + 23)
                    };
                    let len = p[len_at] as usize;
                    let data = &p[len_at + 1..len_at + 1 + len];
                    c.adv_reports += 1;
                    if let Some(rpi) = gaen_rpi(data) {
                        *c.gaen_by_transmitter
                            .entry((at, addr.try_into().unwrap()))
                            .or_default() += 1;
                        c.received_rpis.insert(rpi);
                    }
                    q = len_at + 1 + len + usize::from(p[3] == 0x02);
                }
                assert_eq!(q, p.len());
            }
            // Command: 01 opcode[2] len params.
            0x01 => {
                let opcode = u16::from_le_bytes([p[1], p[2]]);
                let params = &p[4..];
                let own_data = match opcode {
                    0x2008 | 0x2009 => Some(&params[1..1 + params[0] as usize]),
                    0x2037 | 0x2038 => Some(&params[4..4 + params[3] as usize]),
                    0xFD54 if params[0] == 2 || params[0] == 3 => {
                        Some(&params[2..2 + params[1] as usize])
                    }
                    _ => None,
                };
                if let Some(d) = own_data {
                    c.own_data_commands += 1;
                    c.own_rpis.extend(gaen_rpi(d));
                }
                let own_address =
                    matches!(opcode, 0x2005 | 0x2035) || (opcode == 0xFD54 && params[0] == 4);
                c.own_address_commands += u64::from(own_address);
            }
            _ => {}
        }
    }
    assert_eq!(off, bytes.len());
    c
}
