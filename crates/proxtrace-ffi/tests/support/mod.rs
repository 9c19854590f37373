//! A safe wrapper over the C ABI for the Rust integration tests: every call goes through the
//! exported `pt_*` functions exactly as a C host makes it.
#![allow(unsafe_code, dead_code)]

use std::ffi::{CStr, CString, c_char};
use std::path::Path;

use proxtrace_ffi::*;

/// The calling thread's last error (`pt_last_error`).
pub(crate) fn last_error() -> String {
    let mut buf = [0u8; 1024];
    // SAFETY: `buf` has 1024 writable bytes.
    let r = unsafe { pt_last_error(buf.as_mut_ptr().cast::<c_char>(), buf.len()) };
    assert_eq!(r, pt_result::PT_OK);
    CStr::from_bytes_until_nul(&buf)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// An open tracer handle; closed (with a flush) on drop.
pub(crate) struct Handle(*mut pt_tracer);

/// `pt_tracer_open`: the handle, or the code and the thread's last error.
pub(crate) fn open(dir: &Path, config: &str) -> Result<Handle, (pt_result, String)> {
    let dir = CString::new(dir.to_str().unwrap()).unwrap();
    let config = CString::new(config).unwrap();
    let mut t = std::ptr::null_mut();
    // SAFETY: valid C strings and a valid out pointer.
    let r = unsafe { pt_tracer_open(dir.as_ptr(), config.as_ptr(), &mut t) };
    if r == pt_result::PT_OK {
        assert!(!t.is_null());
        Ok(Handle(t))
    } else {
        assert!(t.is_null());
        Err((r, last_error()))
    }
}

/// Call a `(buf, len)` output function, growing the buffer when told to.
fn output(mut f: impl FnMut(*mut u8, *mut usize) -> pt_result) -> Result<Vec<u8>, pt_result> {
    let mut buf = vec![0u8; 64];
    loop {
        let mut len = buf.len();
        match f(buf.as_mut_ptr(), &mut len) {
            pt_result::PT_OK => {
                buf.truncate(len);
                return Ok(buf);
            }
            pt_result::PT_BUFFER_TOO_SMALL => buf.resize(len, 0),
            other => return Err(other),
        }
    }
}

/// What `pt_tracer_advertisement` said to broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Payloads {
    pub(crate) gaen: Option<[u8; 20]>,
    pub(crate) bluezone: Option<[u8; 12]>,
    pub(crate) next_change: u64,
}

impl Handle {
    pub(crate) fn raw(&self) -> *const pt_tracer {
        self.0
    }

    pub(crate) fn timeout(&self, now: u64) -> pt_result {
        // SAFETY: a live handle.
        unsafe { pt_tracer_handle_timeout(self.0, now) }
    }

    pub(crate) fn flush(&self, now: u64) -> pt_result {
        // SAFETY: a live handle.
        unsafe { pt_tracer_flush(self.0, now) }
    }

    pub(crate) fn advertisement(&self, now: u64) -> Payloads {
        let mut buf = [0u8; 36];
        let mut len = buf.len();
        let mut next = 0;
        // SAFETY: a live handle, a 36-byte buffer, valid out pointers.
        let r =
            unsafe { pt_tracer_advertisement(self.0, now, buf.as_mut_ptr(), &mut len, &mut next) };
        assert_eq!(r, pt_result::PT_OK, "{}", last_error());
        let mut p = Payloads {
            gaen: None,
            bluezone: None,
            next_change: next,
        };
        let mut i = 0;
        while i + 2 <= len {
            let (kind, n) = (buf[i], usize::from(buf[i + 1]));
            let data = &buf[i + 2..i + 2 + n];
            match kind {
                1 => p.gaen = Some(data.try_into().unwrap()),
                2 => p.bluezone = Some(data.try_into().unwrap()),
                _ => panic!("unknown record kind {kind}"),
            }
            i += 2 + n;
        }
        p
    }

    /// `pt_tracer_handle_advertising_data`, with its event.
    pub(crate) fn advertising_data(
        &self,
        ad: &[u8],
        rssi: i8,
        now: u64,
    ) -> Result<pt_event, pt_result> {
        let mut e = pt_event_none();
        // SAFETY: a live handle, `ad` readable, a valid out pointer.
        let r = unsafe {
            pt_tracer_handle_advertising_data(
                self.0,
                ad.as_ptr(),
                ad.len(),
                rssi,
                PT_TX_POWER_UNKNOWN,
                now,
                &mut e,
            )
        };
        if r == pt_result::PT_OK { Ok(e) } else { Err(r) }
    }

    /// `pt_tracer_handle_service_data` with a 16-bit UUID.
    pub(crate) fn service_data16(
        &self,
        uuid: u16,
        data: &[u8],
        rssi: i8,
        now: u64,
    ) -> Result<pt_event, pt_result> {
        let mut e = pt_event_none();
        let u = uuid.to_be_bytes();
        // SAFETY: a live handle, readable buffers, a valid out pointer.
        let r = unsafe {
            pt_tracer_handle_service_data(
                self.0,
                u.as_ptr(),
                2,
                data.as_ptr(),
                data.len(),
                rssi,
                PT_TX_POWER_UNKNOWN,
                now,
                &mut e,
            )
        };
        if r == pt_result::PT_OK { Ok(e) } else { Err(r) }
    }

    /// `pt_tracer_handle_manufacturer_data`.
    pub(crate) fn manufacturer_data(
        &self,
        company: u16,
        data: &[u8],
        rssi: i8,
        now: u64,
    ) -> Result<pt_event, pt_result> {
        let mut e = pt_event_none();
        // SAFETY: a live handle, a readable buffer, a valid out pointer.
        let r = unsafe {
            pt_tracer_handle_manufacturer_data(
                self.0,
                company,
                data.as_ptr(),
                data.len(),
                rssi,
                PT_TX_POWER_UNKNOWN,
                now,
                &mut e,
            )
        };
        if r == pt_result::PT_OK { Ok(e) } else { Err(r) }
    }

    /// `pt_tracer_diagnosis_keys` into a buffer of `cap` bytes.
    pub(crate) fn diagnosis_keys_into(
        &self,
        from: u64,
        to: u64,
        cap: usize,
    ) -> (pt_result, Vec<u8>, usize) {
        let mut buf = vec![0u8; cap];
        let mut len = cap;
        let p = if cap == 0 {
            std::ptr::null_mut()
        } else {
            buf.as_mut_ptr()
        };
        // SAFETY: a live handle; `p` is null (with len 0) or has `cap` writable bytes.
        let r = unsafe { pt_tracer_diagnosis_keys(self.0, from, to, p, &mut len) };
        buf.truncate(len.min(cap));
        (r, buf, len)
    }

    /// `pt_tracer_diagnosis_keys`, growing the buffer.
    pub(crate) fn diagnosis_keys(&self, from: u64, to: u64) -> Result<String, pt_result> {
        // SAFETY: a live handle; buffers from `output`.
        output(|b, l| unsafe { pt_tracer_diagnosis_keys(self.0, from, to, b, l) })
            .map(|v| String::from_utf8(v).unwrap())
    }

    /// `pt_tracer_match_exports`.
    pub(crate) fn match_exports(
        &self,
        zips: &[Vec<u8>],
        config: Option<&str>,
    ) -> Result<String, pt_result> {
        let ptrs: Vec<*const u8> = zips.iter().map(|z| z.as_ptr()).collect();
        let lens: Vec<usize> = zips.iter().map(Vec::len).collect();
        let config = config.map(|c| CString::new(c).unwrap());
        let cp = config.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        // SAFETY: a live handle; `ptrs`/`lens` have `zips.len()` elements; `cp` null or a C string.
        output(|b, l| unsafe {
            pt_tracer_match_exports(self.0, ptrs.as_ptr(), lens.as_ptr(), zips.len(), cp, b, l)
        })
        .map(|v| String::from_utf8(v).unwrap())
    }

    /// `pt_tracer_match_f0`.
    pub(crate) fn match_f0(&self, f0: &str) -> Result<String, pt_result> {
        // SAFETY: a live handle; `f0` readable; buffers from `output`.
        output(|b, l| unsafe {
            pt_tracer_match_f0(self.0, f0.as_ptr(), f0.len(), std::ptr::null(), b, l)
        })
        .map(|v| String::from_utf8(v).unwrap())
    }

    /// `pt_tracer_log_stats` as JSON.
    pub(crate) fn log_stats(&self) -> serde_json::Value {
        // SAFETY: a live handle; buffers from `output`.
        let v = output(|b, l| unsafe { pt_tracer_log_stats(self.0, b, l) }).unwrap();
        serde_json::from_slice(&v).unwrap()
    }

    /// Every pending housekeeping event.
    pub(crate) fn events(&self) -> Vec<pt_event> {
        let mut out = Vec::new();
        loop {
            let mut e = pt_event_none();
            // SAFETY: a live handle, a valid out pointer.
            assert_eq!(
                unsafe { pt_tracer_poll_event(self.0, &mut e) },
                pt_result::PT_OK
            );
            if e.kind == pt_event_kind::PT_EVENT_NONE {
                return out;
            }
            out.push(e);
        }
    }

    /// `pt_tracer_close`.
    pub(crate) fn close(mut self) -> pt_result {
        let t = std::mem::replace(&mut self.0, std::ptr::null_mut());
        // SAFETY: a live handle, released once (drop then sees null).
        unsafe { pt_tracer_close(t) }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: a live handle or null, released once.
        unsafe { pt_tracer_close(self.0) };
    }
}

/// An event to be overwritten.
pub(crate) fn pt_event_none() -> pt_event {
    pt_event {
        kind: pt_event_kind::PT_EVENT_NONE,
        scheme: pt_scheme::PT_SCHEME_NONE,
        ignored: pt_ignored::PT_IGNORED_NONE,
        keys: 0,
        log_pages: 0,
        dropped: 0,
    }
}

/// Android's `ScanRecord.getBytes()` of one legacy advertisement of a GAEN payload (62 bytes).
pub(crate) fn gaen_scan_record(payload: &[u8; 20]) -> [u8; 62] {
    let mut r = [0u8; 62];
    r[..11].copy_from_slice(&[2, 0x01, 0x1a, 3, 0x03, 0x6f, 0xfd, 23, 0x16, 0x6f, 0xfd]);
    r[11..31].copy_from_slice(payload);
    r
}

/// Android's `ScanRecord.getBytes()` of a Bluezone advertisement with a scan response.
pub(crate) fn bluezone_scan_record(id: &[u8; 12]) -> [u8; 62] {
    let mut r = [0u8; 62];
    r[..11].copy_from_slice(&[2, 0x01, 0x1a, 3, 0x03, 0x56, 0x4e, 15, 0xff, 0xb5, 0x22]);
    r[11..23].copy_from_slice(id);
    r[23..31].copy_from_slice(&[7, 0x09, b'G', b'a', b'l', b'a', b'x', b'y']);
    r
}

pub(crate) const START: u64 = 20759 * 86400 + 9 * 3600;
pub(crate) const BOTH: &str = r#"{"schemes":{"gaen":true,"bluezone":true}}"#;

/// A stand-in health authority: the reported GAEN keys (JSON of pt_tracer_diagnosis_keys) in
/// `batch` signed export files among other keys, and the match configuration trusting them.
pub(crate) fn publish(report: &str, batch: usize) -> (Vec<Vec<u8>>, String) {
    use base64::Engine as _;
    use proxtrace::gaen::TemporaryExposureKey;
    use proxtrace::published::{GaenDiagnosisKey, ReportType};
    use proxtrace::time::EnIntervalNumber;
    use proxtrace_cli::export_writer::{ExportMeta, Signer, write_export_zip};
    let v: serde_json::Value = serde_json::from_str(report).unwrap();
    let keys: Vec<GaenDiagnosisKey> = v["gaen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| GaenDiagnosisKey {
            key: TemporaryExposureKey::from_bytes(
                base64::engine::general_purpose::STANDARD
                    .decode(k["key_data"].as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap(),
            ),
            rolling_start: EnIntervalNumber::new(
                k["rolling_start_interval_number"].as_u64().unwrap() as u32,
            ),
            rolling_period: k["rolling_period"].as_u64().unwrap() as u32,
            report_type: ReportType::ConfirmedTest,
            days_since_onset_of_symptoms: Some(0),
            transmission_risk_level: None,
        })
        .collect();
    let rng = ring::rand::SystemRandom::new();
    let signer =
        Signer::from_pkcs8(&Signer::generate_pkcs8(&rng).unwrap(), "310", "v1", &rng).unwrap();
    let zips = (0..batch)
        .map(|n| {
            let part: Vec<GaenDiagnosisKey> = keys.iter().skip(n).step_by(batch).cloned().collect();
            let mut meta = ExportMeta::covering(&keys, "VN");
            meta.batch_num = n as i32 + 1;
            meta.batch_size = batch as i32;
            write_export_zip(&meta, &part, &[], &signer, &rng).unwrap()
        })
        .collect();
    let config = serde_json::json!({"public_keys": [{
        "pem": signer.trusted_key().to_pem(), "key_id": "310", "key_version": "v1"}]});
    (zips, config.to_string())
}
