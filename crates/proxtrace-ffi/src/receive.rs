//! Receptions, in every shape a platform delivers them. Each returns `PT_OK` for ordinary radio
//! traffic (a foreign beacon included) and writes its outcome to `*out_event` (may be null):
//! `PT_EVENT_RECORDED`, `PT_EVENT_IGNORED` or `PT_EVENT_NEEDS_GATT_READ`. Errors are for what the
//! app must act on: a failing disk, a refused time, a bad pointer.

use proxtrace::tracer::RadioData;

use super::api::with_session;
use super::event::pt_event;
use super::result::Failure;
use super::session::{Session, tx_power, uuid_from_be};
use super::{bytes, call, pt_result, pt_tracer, write_opt};

/// Run a reception on the session and write its event.
///
/// # Safety
/// `t` a live handle or null; `out_event` null or valid for a write.
unsafe fn receive(
    t: *const pt_tracer,
    out_event: *mut pt_event,
    f: impl FnOnce(&mut Session) -> Result<pt_event, Failure>,
) -> pt_result {
    call(|| {
        // SAFETY: forwarded contract.
        let e = unsafe { with_session(t, f) }?;
        // SAFETY: null or valid per the contract.
        unsafe { write_opt(out_event, e) };
        Ok(())
    })
}

/// Hand in a received advertisement's raw AD bytes — a legacy advertisement, Android's
/// 62-byte `ScanRecord.getBytes()` (advertising data then scan response, zero-padded: the
/// data ends at the first zero-length AD structure), or extended advertising data (up to 254
/// bytes) — with its RSSI (dBm) and when it was heard. A foreign beacon returns `PT_OK` (it
/// is ignored). Kept as it was; `pt_tracer_handle_advertising_data` also reports the event.
///
/// # Safety
/// `t` a live handle; `ad` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_handle_advertisement(
    t: *const pt_tracer,
    ad: *const u8,
    len: usize,
    rssi: i8,
    now: u64,
) -> pt_result {
    // SAFETY: per the contract.
    unsafe {
        pt_tracer_handle_advertising_data(
            t,
            ad,
            len,
            rssi,
            super::PT_TX_POWER_UNKNOWN,
            now,
            std::ptr::null_mut(),
        )
    }
}

/// Raw AD bytes, as `pt_tracer_handle_advertisement`, with the TX power the platform
/// reported beside them (`PT_TX_POWER_UNKNOWN` for none; a TX power AD structure inside the
/// bytes is found by the tracer) and the event written to `*out_event` (may be null).
///
/// # Safety
/// `t` a live handle; `ad` points to `len` readable bytes; `out_event` null or valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_handle_advertising_data(
    t: *const pt_tracer,
    ad: *const u8,
    len: usize,
    rssi: i8,
    tx_power_dbm: i8,
    now: u64,
    out_event: *mut pt_event,
) -> pt_result {
    // SAFETY: per the contract.
    unsafe {
        receive(t, out_event, |s| {
            // SAFETY: `ad` has `len` readable bytes per the contract.
            let ad = bytes(ad, len, "ad")?;
            s.receive(
                RadioData::AdvertisingData(ad),
                rssi,
                tx_power(tx_power_dbm),
                now,
            )
        })
    }
}

/// Service data the platform already split out — Android's `ScanRecord.getServiceData()`,
/// iOS's `kCBAdvDataServiceData` — by its service UUID: `uuid` is `uuid_len` bytes
/// big-endian, 2 (16-bit, e.g. `FD 6F` for GAEN), 4 (32-bit) or 16 (128-bit), as iOS's
/// `CBUUID.data` gives it; another length is `PT_INVALID_ARGUMENT`.
///
/// # Safety
/// `t` a live handle; `uuid` has `uuid_len` readable bytes; `data` has `len` readable bytes;
/// `out_event` null or valid for a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn pt_tracer_handle_service_data(
    t: *const pt_tracer,
    uuid: *const u8,
    uuid_len: usize,
    data: *const u8,
    len: usize,
    rssi: i8,
    tx_power_dbm: i8,
    now: u64,
    out_event: *mut pt_event,
) -> pt_result {
    // SAFETY: per the contract.
    unsafe {
        receive(t, out_event, |s| {
            // SAFETY: readable per the contract.
            let uuid = uuid_from_be(bytes(uuid, uuid_len, "uuid")?)?;
            // SAFETY: readable per the contract.
            let data = bytes(data, len, "data")?;
            s.receive(
                RadioData::ServiceData { uuid, data },
                rssi,
                tx_power(tx_power_dbm),
                now,
            )
        })
    }
}

/// Manufacturer-specific data the platform already split out — Android's
/// `ScanRecord.getManufacturerSpecificData()` — with its company identifier (`data` excludes
/// it). iOS's `kCBAdvDataManufacturerData` starts with the company identifier, little-endian:
/// pass `data[0] | data[1] << 8` and the bytes after it.
///
/// # Safety
/// `t` a live handle; `data` has `len` readable bytes; `out_event` null or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_handle_manufacturer_data(
    t: *const pt_tracer,
    company_id: u16,
    data: *const u8,
    len: usize,
    rssi: i8,
    tx_power_dbm: i8,
    now: u64,
    out_event: *mut pt_event,
) -> pt_result {
    // SAFETY: per the contract.
    unsafe {
        receive(t, out_event, |s| {
            // SAFETY: readable per the contract.
            let data = bytes(data, len, "data")?;
            s.receive(
                RadioData::ManufacturerData { company_id, data },
                rssi,
                tx_power(tx_power_dbm),
                now,
            )
        })
    }
}

/// One advertised service UUID without data (iOS's `kCBAdvDataServiceUUIDs`, one call per
/// UUID; `uuid` as for `pt_tracer_handle_service_data`). The Bluezone iOS service
/// `00004E56-73F5-4BC4-A12F-17D1AD07A667` gives `PT_EVENT_NEEDS_GATT_READ`; anything else is
/// ignored.
///
/// # Safety
/// `t` a live handle; `uuid` has `uuid_len` readable bytes; `out_event` null or valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_handle_service_uuid(
    t: *const pt_tracer,
    uuid: *const u8,
    uuid_len: usize,
    rssi: i8,
    now: u64,
    out_event: *mut pt_event,
) -> pt_result {
    // SAFETY: per the contract.
    unsafe {
        receive(t, out_event, |s| {
            // SAFETY: readable per the contract.
            let uuid = uuid_from_be(bytes(uuid, uuid_len, "uuid")?)?;
            s.receive(RadioData::ServiceUuid(uuid), rssi, None, now)
        })
    }
}

/// The value of a Bluezone iOS phone's identifier characteristic
/// `00004E56-73F5-4BC4-A12F-17D1AD07A689` (12 bytes), read over GATT after
/// `PT_EVENT_NEEDS_GATT_READ`, with the RSSI of the connection. A value of another length is
/// ignored (`PT_EVENT_IGNORED`, `PT_IGNORED_MALFORMED`).
///
/// # Safety
/// `t` a live handle; `id` has `len` readable bytes; `out_event` null or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_handle_gatt_identifier(
    t: *const pt_tracer,
    id: *const u8,
    len: usize,
    rssi: i8,
    now: u64,
    out_event: *mut pt_event,
) -> pt_result {
    // SAFETY: per the contract.
    unsafe {
        receive(t, out_event, |s| {
            // SAFETY: readable per the contract.
            let id = bytes(id, len, "id")?;
            s.receive_gatt_identifier(id, rssi, now)
        })
    }
}
