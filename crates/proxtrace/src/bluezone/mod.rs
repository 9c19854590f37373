//! Bluezone v2 identifiers (Vietnam, 2020): a SHA-256 chain of daily keys, each cut into slot
//! keys whose selected bytes are the 12-byte [`BluezoneId`]s a phone broadcasts.
//!
//! | name | definition |
//! |---|---|
//! | [`BaseKey`] | 32 random bytes and the UTC day they were created (day 0) |
//! | [`DailyKey`] | `DK_0 = base`, `DK_n = SHA-256(DK_{n−1})` |
//! | [`SlotKey`] | `sk_0 = SHA-256(DK ‖ "bluzonesubkey")`, `sk_{i+1} = SHA-256(sk_i)` |
//! | [`BluezoneId`] | `sk_i[0,4,8,12,16,18,20,22,24,26,28,30]` |
//!
//! ```
//! use proxtrace::bluezone::DailyKey;
//! use proxtrace::time::{SlotsPerDay, UtcDay};
//!
//! let mut key = [0u8; 32];
//! hex::decode_to_slice("4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084", &mut key).unwrap();
//! let dk = DailyKey::from_bytes(key, UtcDay::new(18_482));
//! let ids = dk.bluezone_ids(SlotsPerDay::DEFAULT);
//! assert_eq!(ids[0].to_hex(), "29ABD013B41C90269332AB5D");
//! assert_eq!(dk.next().unwrap().day(), UtcDay::new(18_483));
//! ```

mod id;
mod keys;

pub use id::BluezoneId;
pub use keys::{BaseKey, DailyKey, MAX_CHAIN_DAYS, SlotKey};

/// Domain-separation suffix of the first slot key, spelled exactly as the original app does.
pub const SLOT_KEY_TAG: &[u8; 13] = b"bluzonesubkey";

/// Which bytes of a slot key form the identifier.
pub const ID_BYTE_INDICES: [usize; 12] = [0, 4, 8, 12, 16, 18, 20, 22, 24, 26, 28, 30];

/// Bluezone's Bluetooth SIG company identifier (8885), used for its manufacturer data.
pub const COMPANY_ID: u16 = 0x22B5;

/// 16-bit service UUID advertised by Bluezone on Android.
pub const SERVICE_UUID16: u16 = 0x4E56;

/// 128-bit service advertised by Bluezone on iOS, `00004E56-73F5-4BC4-A12F-17D1AD07A667`.
pub const IOS_SERVICE_UUID: u128 = 0x0000_4E56_73F5_4BC4_A12F_17D1_AD07_A667;

/// GATT characteristic that returns the identifier on iOS, `00004E56-73F5-4BC4-A12F-17D1AD07A689`.
pub const IOS_ID_CHARACTERISTIC_UUID: u128 = 0x0000_4E56_73F5_4BC4_A12F_17D1_AD07_A689;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyError;
    use crate::time::{BluezoneSlot, SlotsPerDay, UtcDay};
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    #[test]
    fn chain_only_runs_forward_and_is_bounded() {
        let base = BaseKey::from_bytes([1; 32], UtcDay::new(100));
        assert!(matches!(
            base.daily_key(UtcDay::new(99)),
            Err(KeyError::DayBeforeBase {
                day: 99,
                base_day: 100
            })
        ));
        assert!(matches!(
            base.daily_key(UtcDay::new(100 + MAX_CHAIN_DAYS + 1)),
            Err(KeyError::ChainTooLong { .. })
        ));
        assert_eq!(
            base.daily_key(UtcDay::new(100)).unwrap().expose_secret(),
            &[1; 32]
        );
        assert!(
            DailyKey::from_bytes([0; 32], UtcDay::new(u32::MAX))
                .next()
                .is_err()
        );
    }

    #[test]
    fn slot_of_another_day_is_refused() {
        let dk = DailyKey::from_bytes([2; 32], UtcDay::new(5));
        let slot = BluezoneSlot::new(UtcDay::new(6), 0, SlotsPerDay::DEFAULT).unwrap();
        assert!(matches!(
            dk.bluezone_id(slot),
            Err(KeyError::WrongDay { .. })
        ));
    }

    #[test]
    fn secrets_are_redacted_and_generated_from_the_injected_rng() {
        let a = BaseKey::generate(&mut ChaCha20Rng::seed_from_u64(1), UtcDay::new(3)).unwrap();
        let b = BaseKey::generate(&mut ChaCha20Rng::seed_from_u64(1), UtcDay::new(3)).unwrap();
        assert_eq!(a.expose_secret(), b.expose_secret());
        let dk = DailyKey::from_bytes([0xAB; 32], UtcDay::new(3));
        let text = format!("{a:?} {dk:?} {:?}", dk.first_slot_key());
        assert!(!text.to_lowercase().contains("abab"), "{text}");
        assert!(text.contains("redacted"));
    }

    proptest! {
        #[test]
        fn direct_day_equals_stepping(key in any::<[u8; 32]>(), base_day in 0u32..100_000, n in 0u32..40) {
            let base = BaseKey::from_bytes(key, UtcDay::new(base_day));
            let direct = base.daily_key(UtcDay::new(base_day + n)).unwrap();
            let mut stepped = DailyKey::from_bytes(key, UtcDay::new(base_day));
            for _ in 0..n {
                stepped = stepped.next().unwrap();
            }
            prop_assert_eq!(direct.expose_secret(), stepped.expose_secret());
            prop_assert_eq!(direct.day(), stepped.day());
        }

        #[test]
        fn batch_ids_equal_single_slot_ids(
            key in any::<[u8; 32]>(),
            spd in prop::sample::select(vec![24u32, 96, 144]),
            idx in 0u32..24,
        ) {
            let spd = SlotsPerDay::new(spd).unwrap();
            let dk = DailyKey::from_bytes(key, UtcDay::new(9));
            let ids = dk.bluezone_ids(spd);
            prop_assert_eq!(ids.len(), spd.get() as usize);
            let slot = BluezoneSlot::new(UtcDay::new(9), idx, spd).unwrap();
            prop_assert_eq!(ids[idx as usize], dk.bluezone_id(slot).unwrap());
        }
    }
}
