//! Drive a tracer with arbitrary (input, time) sequences: raw advertising data of any length,
//! decoded identifiers, timeouts at any time (milliseconds, u64::MAX, jumps), reports and
//! flushes. The tracer must never panic, never ask to be woken before its clock, and a refused
//! input must change nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::{GaenPayload, Identifier};
use proxtrace::time::UnixTime;
use proxtrace::tracer::{Input, Output, RadioData, Received, Schemes, Tracer, TracerConfig};
use rand::SeedableRng;

const T0: u64 = 1_763_800_000;

fn take<const N: usize>(data: &mut &[u8]) -> Option<[u8; N]> {
    let (head, rest) = data.split_first_chunk::<N>()?;
    *data = rest;
    Some(*head)
}

fn time(data: &mut &[u8]) -> Option<UnixTime> {
    let [kind] = take::<1>(data)?;
    let v = u64::from_le_bytes(take::<8>(data)?);
    Some(UnixTime::from_secs(match kind % 4 {
        0 => T0 + v % (30 * 86_400),
        1 => T0.saturating_sub(v % 7200),
        2 => (T0 + v % 1000) * 1000,
        _ => v,
    }))
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let Some(seed) = take::<8>(&mut data) else {
        return;
    };
    let config = TracerConfig {
        schemes: Schemes {
            gaen: true,
            bluezone: true,
        },
        log_capacity_bytes: 128 << 10,
        ..TracerConfig::default()
    };
    let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(u64::from_le_bytes(seed));
    let Ok(mut t) = Tracer::in_memory(config, &mut rng) else {
        return;
    };
    while let Some([op]) = take::<1>(&mut data) {
        let clock = t.clock();
        let keys = t.key_storage().bytes().map(<[u8]>::to_vec);
        let log = t.log().backend().as_bytes().to_vec();
        let r = match op % 5 {
            0 => {
                let Some(at) = time(&mut data) else { break };
                t.handle_input(Input::Timeout(at))
            }
            1 => {
                let Some(at) = time(&mut data) else { break };
                let Some([len]) = take::<1>(&mut data) else {
                    break;
                };
                let n = usize::from(len).min(data.len());
                let (raw, rest) = data.split_at(n);
                data = rest;
                t.handle_input(Input::Received(Received::new(
                    RadioData::AdvertisingData(raw),
                    -60,
                    at,
                )))
            }
            2 => {
                let Some(at) = time(&mut data) else { break };
                let Some(b) = take::<20>(&mut data) else {
                    break;
                };
                let id = if b[0] & 1 == 0 {
                    Identifier::Gaen(GaenPayload::from_bytes(&b))
                } else {
                    let mut z = [0u8; 12];
                    z.copy_from_slice(&b[..12]);
                    Identifier::Bluezone(BluezoneId::from_bytes(z))
                };
                t.handle_input(Input::Received(Received::new(
                    RadioData::Identifier(id),
                    b[19] as i8,
                    at,
                )))
            }
            3 => {
                let (Some(from), Some(to)) = (time(&mut data), time(&mut data)) else {
                    break;
                };
                let _ = t.diagnosis_keys(from, to);
                Ok(())
            }
            _ => {
                let _ = t.flush();
                Ok(())
            }
        };
        if r.is_err() {
            assert_eq!(t.clock(), clock);
            assert_eq!(t.key_storage().bytes().map(<[u8]>::to_vec), keys);
            assert_eq!(t.log().backend().as_bytes(), &log[..]);
        }
        for _ in 0..10_000 {
            match t.poll_output() {
                Output::Timeout(at) => {
                    if let Some(c) = t.clock() {
                        assert!(at >= c);
                    }
                    break;
                }
                _ => continue,
            }
        }
    }
});
