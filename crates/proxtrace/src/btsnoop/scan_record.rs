//! The scan record an Android app receives for a legacy advertisement, rebuilt from the HCI
//! reports: `ScanRecord.getBytes()`.
//!
//! What Android does (AOSP Bluetooth stack, read for this module; see `docs/btsnoop.md`):
//!
//! * Android 5–7 (`btm_ble_cache_adv_data`, BTM_BLE_CACHE_ADV_DATA_MAX = 62): an advertising
//!   report zeroes a 62-byte cache and copies its AD structures into it, stopping at the first
//!   zero length byte; the scan response that follows from the same device appends its AD
//!   structures after them the same way. The JNI layer hands the app all 62 bytes
//!   (`NewByteArray(62)`), so the record is zero padded.
//! * Android 8 and later (`btm_ble_process_adv_pkt_cont`): for legacy PDUs
//!   `AdvertiseDataParser::RemoveTrailingZeros` cuts each part at its first zero length byte,
//!   the scan response is appended to the cached advertising data, and the app gets exactly
//!   those bytes (`NewByteArray(adv_data.size())`): the same bytes without the padding. An
//!   AD structure running past its part makes the data invalid and Android drops the report.
//!
//! [`AndroidScanRecord::as_bytes`] is the 62-byte form, [`AndroidScanRecord::content`] the
//! unpadded one. Not modelled: Android's active scanner withholds a scannable advertisement
//! until its scan response arrives (and drops it if none does); [`ScanResponsePairer`] keeps
//! every advertisement, with or without a scan response.

use std::collections::VecDeque;

use crate::advert::AdvertError;
use crate::advert::ad::{LEGACY_MAX_LEN, SCAN_RECORD_LEN, ad_structures};

use super::items::{AdvertisingReport, BdAddr};

/// Length of the scan record Android 5–7 hands an app: two legacy parts of 31 bytes.
pub const ANDROID_SCAN_RECORD_LEN: usize = SCAN_RECORD_LEN;

/// Why no scan record can be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScanRecordError {
    /// A part longer than a legacy PDU holds.
    #[error(
        "{part} is {len} bytes; legacy advertising data holds at most 31 (extended advertising \
         data reaches apps as it is, not as a 62-byte scan record)"
    )]
    TooLong {
        /// `"advertising data"` or `"scan response"`.
        part: &'static str,
        /// Its length.
        len: usize,
    },
    /// An AD structure whose length runs past the end of its part.
    #[error("{part}: {source}; Android drops such an advertisement")]
    Malformed {
        /// `"advertising data"` or `"scan response"`.
        part: &'static str,
        /// What the AD walk found.
        #[source]
        source: AdvertError,
    },
    /// The report carries an extended advertising PDU.
    #[error(
        "the report carries an extended advertising PDU; Android hands its data to apps as it \
         is, not as a 62-byte scan record"
    )]
    NotLegacy,
    /// The advertisement passed is itself a scan response.
    #[error("the first report is a scan response; pass the advertisement first")]
    ScanResponseFirst,
    /// The second report is not a scan response.
    #[error("the second report is not a scan response")]
    NotScanResponse,
    /// The two reports come from different advertisers.
    #[error(
        "the scan response comes from {scan_response}, the advertisement from {advertisement}: \
         pair the reports of one address"
    )]
    AddressMismatch {
        /// The advertisement's address.
        advertisement: BdAddr,
        /// The scan response's address.
        scan_response: BdAddr,
    },
}

/// A legacy scan record in the form Android hands an app.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AndroidScanRecord {
    bytes: [u8; ANDROID_SCAN_RECORD_LEN],
    len: usize,
}

impl AndroidScanRecord {
    /// Build the record from advertising data and the scan response data that followed it.
    ///
    /// ```
    /// use proxtrace::btsnoop::AndroidScanRecord;
    /// let adv = [0x02, 0x01, 0x1A, 0x03, 0x03, 0x6F, 0xFD, 0x00, 0x00]; // padded
    /// let rec = AndroidScanRecord::from_parts(&adv, Some(&[0x02, 0x0A, 0xF4]))?;
    /// assert_eq!(rec.content(), &[0x02, 0x01, 0x1A, 0x03, 0x03, 0x6F, 0xFD, 0x02, 0x0A, 0xF4]);
    /// assert_eq!(rec.as_bytes().len(), 62);
    /// assert!(rec.as_bytes()[10..].iter().all(|&b| b == 0));
    /// # Ok::<(), proxtrace::btsnoop::ScanRecordError>(())
    /// ```
    pub fn from_parts(
        advertising: &[u8],
        scan_response: Option<&[u8]>,
    ) -> Result<Self, ScanRecordError> {
        let mut rec = Self {
            bytes: [0; ANDROID_SCAN_RECORD_LEN],
            len: 0,
        };
        let parts = [
            ("advertising data", Some(advertising)),
            ("scan response", scan_response),
        ];
        for (part, bytes) in parts {
            let Some(bytes) = bytes else { continue };
            if bytes.len() > LEGACY_MAX_LEN {
                return Err(ScanRecordError::TooLong {
                    part,
                    len: bytes.len(),
                });
            }
            for ad in ad_structures(bytes) {
                let ad = ad.map_err(|source| ScanRecordError::Malformed { part, source })?;
                // Two parts of at most 31 bytes always fit in 62.
                let n = 2 + ad.data.len();
                let out = &mut rec.bytes[rec.len..rec.len + n];
                out[0] = (1 + ad.data.len()) as u8;
                out[1] = ad.ad_type;
                out[2..].copy_from_slice(ad.data);
                rec.len += n;
            }
        }
        Ok(rec)
    }

    /// Build the record from an advertising report and the scan response report that followed
    /// it from the same address.
    pub fn from_reports(
        advertisement: &AdvertisingReport,
        scan_response: Option<&AdvertisingReport>,
    ) -> Result<Self, ScanRecordError> {
        if !advertisement.event_type.is_legacy() {
            return Err(ScanRecordError::NotLegacy);
        }
        if advertisement.event_type.is_scan_response() {
            return Err(ScanRecordError::ScanResponseFirst);
        }
        if let Some(sr) = scan_response {
            if !sr.event_type.is_legacy() {
                return Err(ScanRecordError::NotLegacy);
            }
            if !sr.event_type.is_scan_response() {
                return Err(ScanRecordError::NotScanResponse);
            }
            if (sr.address, sr.address_type) != (advertisement.address, advertisement.address_type)
            {
                return Err(ScanRecordError::AddressMismatch {
                    advertisement: advertisement.address,
                    scan_response: sr.address,
                });
            }
        }
        Self::from_parts(
            &advertisement.data,
            scan_response.map(|sr| sr.data.as_slice()),
        )
    }

    /// The 62 bytes Android 5–7 hands an app: the AD structures, then zero padding.
    pub const fn as_bytes(&self) -> &[u8; ANDROID_SCAN_RECORD_LEN] {
        &self.bytes
    }

    /// The AD structures alone, what Android 8 and later hands an app.
    pub fn content(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl std::fmt::Debug for AndroidScanRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AndroidScanRecord(<{} of 62 bytes>)", self.len)
    }
}

/// An advertisement and the scan response that answered it, if one followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairedAdvertisement {
    /// The advertising report.
    pub advertisement: AdvertisingReport,
    /// The scan response report from the same address that came right after it.
    pub scan_response: Option<AdvertisingReport>,
}

impl PairedAdvertisement {
    /// The scan record Android builds from the pair.
    pub fn scan_record(&self) -> Result<AndroidScanRecord, ScanRecordError> {
        AndroidScanRecord::from_reports(&self.advertisement, self.scan_response.as_ref())
    }
}

/// How many scannable advertisements [`ScanResponsePairer`] holds while it waits for their
/// scan responses; the oldest goes out alone when a further one arrives.
pub const PAIRER_CAPACITY: usize = 16;

/// Pairs each scannable advertisement with the scan response that answers it (same address
/// and address type), the way Android's advertising cache does.
///
/// [`push`](Self::push) every report in log order, then take what is complete with
/// [`pop`](Self::pop); [`finish`](Self::finish) at the end. A non-scannable advertisement is
/// complete at once. A scannable one waits for its scan response; it goes out alone when the
/// same address advertises again first, when more than [`PAIRER_CAPACITY`] are waiting, or at
/// `finish` (Android would withhold it from an app; here nothing is lost). A scan response
/// with no waiting advertisement of its address is dropped, as Android drops it, and counted
/// in [`orphan_scan_responses`](Self::orphan_scan_responses). Completed pairs come out in the
/// order they complete, not strictly in log order.
#[derive(Debug, Default, Clone)]
pub struct ScanResponsePairer {
    pending: VecDeque<AdvertisingReport>,
    ready: VecDeque<PairedAdvertisement>,
    orphans: u64,
}

fn alone(advertisement: AdvertisingReport) -> PairedAdvertisement {
    PairedAdvertisement {
        advertisement,
        scan_response: None,
    }
}

impl ScanResponsePairer {
    /// An empty pairer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed the next report.
    pub fn push(&mut self, report: AdvertisingReport) {
        let key = (report.address, report.address_type);
        let waiting = self
            .pending
            .iter()
            .position(|p| (p.address, p.address_type) == key);
        if report.event_type.is_scan_response() {
            match waiting.and_then(|i| self.pending.remove(i)) {
                Some(adv) => self.ready.push_back(PairedAdvertisement {
                    advertisement: adv,
                    scan_response: Some(report),
                }),
                None => self.orphans += 1,
            }
        } else if report.event_type.is_scannable() {
            if let Some(old) = waiting.and_then(|i| self.pending.remove(i)) {
                self.ready.push_back(alone(old));
            }
            if self.pending.len() == PAIRER_CAPACITY {
                self.ready.extend(self.pending.pop_front().map(alone));
            }
            self.pending.push_back(report);
        } else {
            self.ready.push_back(alone(report));
        }
    }

    /// The next completed advertisement, if any.
    pub fn pop(&mut self) -> Option<PairedAdvertisement> {
        self.ready.pop_front()
    }

    /// End of the reports: every advertisement still waiting becomes ready (alone).
    pub fn finish(&mut self) {
        let waiting = std::mem::take(&mut self.pending);
        self.ready.extend(waiting.into_iter().map(alone));
    }

    /// Scan responses dropped because no advertisement of their address was waiting.
    pub const fn orphan_scan_responses(&self) -> u64 {
        self.orphans
    }
}
