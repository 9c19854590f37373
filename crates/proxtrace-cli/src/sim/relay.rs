//! The relay attack: a receiver at place A hears the phones around it and a transmitter at
//! place B rebroadcasts their raw advertisements, in real time or after a delay.
//!
//! The receiver (a laptop scanning continuously) sits in the middle of A and captures, each
//! minute, every advertisement of a phone within range that a scan would hear (P(heard) of
//! the radio model); the transmitter in the middle of B broadcasts them for that minute at a
//! phone's power. Phones at B hear the transmitter through the same radio model as any phone.
//! Advertisements of iPhones running Bluezone carry no identifier (it is read over GATT) and
//! would need a GATT proxy: they are not relayed.

use std::collections::VecDeque;

use proxtrace::identifier::Scheme;

use super::mobility::Position;
use super::phone::{Ad, Phone};
use super::population::{PlaceId, Town};
use super::radio::{RANGE_METRES, Stream, heard_probability};
use super::truth::PlaceIndex;

/// One captured advertisement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Captured {
    /// Whose advertisement it is.
    pub(crate) person: u32,
    pub(crate) ad: Ad,
}

/// A relay resolved to places of this town.
#[derive(Debug)]
pub(crate) struct ActiveRelay {
    pub(crate) from: PlaceId,
    pub(crate) to: PlaceId,
    /// Where the transmitter stands at `to`.
    pub(crate) transmitter: Position,
    receiver: Position,
    delay_minutes: usize,
    /// Captures of the last `delay_minutes + 1` minutes, newest last.
    captured: VecDeque<Vec<Captured>>,
    /// Packets the transmitter got into phones' logs.
    pub(crate) delivered: u64,
}

impl ActiveRelay {
    pub(crate) fn new(town: &Town, from: PlaceId, to: PlaceId, delay_secs: u32) -> Self {
        let centre = |p: PlaceId| {
            let place = town.places[p as usize];
            Position {
                place: p,
                x: place.w / 2.0,
                y: place.h / 2.0,
            }
        };
        Self {
            from,
            to,
            transmitter: centre(to),
            receiver: centre(from),
            delay_minutes: (delay_secs as usize).div_ceil(60),
            captured: VecDeque::new(),
            delivered: 0,
        }
    }

    /// Listen at A for minute `minute` (a counter since the start of the run).
    pub(crate) fn capture(
        &mut self,
        seed: u64,
        minute: u64,
        positions: &[Position],
        index: &PlaceIndex,
        phone_of: &[u32],
        phones: &[Phone],
    ) {
        let mut now = if self.captured.len() > self.delay_minutes {
            self.captured.pop_front().unwrap_or_default()
        } else {
            Vec::new()
        };
        now.clear();
        for &person in index.members(self.from) {
            let Some(phone) = phones.get(phone_of[person as usize] as usize) else {
                continue;
            };
            let d = self.receiver.distance(&positions[person as usize]);
            let heard = d <= RANGE_METRES
                && Stream::new(&[seed, 0x7265_6c61, u64::from(person), minute])
                    .bernoulli(heard_probability(d));
            if !heard {
                continue;
            }
            for ad in phone.ads() {
                if ad.scheme == Scheme::Bluezone && phone.kind.ios {
                    continue;
                }
                now.push(Captured { person, ad: *ad });
            }
        }
        self.captured.push_back(now);
    }

    /// What the transmitter broadcasts this minute (captured `delay` ago).
    pub(crate) fn on_air(&self) -> &[Captured] {
        if self.captured.len() == self.delay_minutes + 1 {
            self.captured.front().map_or(&[], Vec::as_slice)
        } else {
            &[]
        }
    }
}
