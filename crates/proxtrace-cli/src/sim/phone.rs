//! One simulated phone as its app's run loop sees it: a real [`Tracer`], driven only through
//! `handle_input` / `poll_output`, with what its platform does around it (advertising, the
//! iOS GATT read, the app's scan filter).

use std::io;

use proxtrace::advert::{encode_advertisement, encode_bluezone_ios_advertisement};
use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::{Identifier, Scheme};
use proxtrace::log::{EncounterLog, StorageBackend};
use proxtrace::time::UnixTime;
use proxtrace::tracer::{
    Input, MemoryKeyStorage, Output, RadioData, Received, Tracer, TracerConfig, TracerError,
    TracerEvent,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

use super::radio::{PhoneRadio, Stream, hash};

/// A log backend in memory that holds only the pages written (a new log is "zero-filled" to
/// its capacity; here unwritten bytes cost nothing). Compact per-phone state: a phone's
/// memory is what it logged, not its log's capacity.
#[derive(Debug, Default)]
pub(crate) struct SparseBackend {
    len: u64,
    blocks: Vec<Option<Box<[u8]>>>,
}

const BLOCK: usize = 4096;

/// Longest legacy advertisement, bytes.
const LEGACY_MAX_LEN: usize = 31;

impl SparseBackend {
    fn check(&self, offset: u64, n: usize) -> io::Result<()> {
        match offset.checked_add(n as u64) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "access past the end of the log",
            )),
        }
    }
}

impl StorageBackend for SparseBackend {
    fn len(&self) -> io::Result<u64> {
        Ok(self.len)
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.check(offset, buf.len())?;
        let mut done = 0;
        while done < buf.len() {
            let at = offset as usize + done;
            let (block, within) = (at / BLOCK, at % BLOCK);
            let n = (BLOCK - within).min(buf.len() - done);
            match self.blocks.get(block).and_then(Option::as_ref) {
                Some(b) => buf[done..done + n].copy_from_slice(&b[within..within + n]),
                None => buf[done..done + n].fill(0),
            }
            done += n;
        }
        Ok(())
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.check(offset, data.len())?;
        let mut done = 0;
        while done < data.len() {
            let at = offset as usize + done;
            let (block, within) = (at / BLOCK, at % BLOCK);
            let n = (BLOCK - within).min(data.len() - done);
            let part = &data[done..done + n];
            let absent = self.blocks.get(block).is_none_or(Option::is_none);
            if !(absent && part.iter().all(|&b| b == 0)) {
                if self.blocks.len() <= block {
                    self.blocks.resize_with(block + 1, || None);
                }
                let b = self.blocks[block].get_or_insert_with(|| vec![0; BLOCK].into_boxed_slice());
                b[within..within + n].copy_from_slice(part);
            }
            done += n;
        }
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        usize::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        self.len = len;
        let keep = (len as usize).div_ceil(BLOCK);
        self.blocks.truncate(keep);
        if let Some(Some(last)) = self.blocks.last_mut() {
            let tail = len as usize % BLOCK;
            if tail > 0 {
                last[tail..].fill(0);
            }
        }
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub(crate) type SimTracer = Tracer<SparseBackend, MemoryKeyStorage>;

/// What a phone is: platform and the schemes its app speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct PhoneKind {
    pub(crate) ios: bool,
    pub(crate) gaen: bool,
    pub(crate) bluezone: bool,
}

impl PhoneKind {
    /// `android-gaen`, `ios-bluezone`, `android-both`…
    pub(crate) fn label(self) -> String {
        let os = if self.ios { "ios" } else { "android" };
        let schemes = match (self.gaen, self.bluezone) {
            (true, true) => "both",
            (true, false) => "gaen",
            _ => "bluezone",
        };
        format!("{os}-{schemes}")
    }

    pub(crate) fn speaks(self, s: Scheme) -> bool {
        match s {
            Scheme::Gaen => self.gaen,
            Scheme::Bluezone => self.bluezone,
        }
    }
}

/// One raw legacy advertisement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ad {
    pub(crate) scheme: Scheme,
    len: u8,
    bytes: [u8; LEGACY_MAX_LEN],
}

impl Ad {
    fn new(scheme: Scheme, raw: &[u8]) -> Self {
        let mut bytes = [0; LEGACY_MAX_LEN];
        let len = raw.len().min(LEGACY_MAX_LEN);
        bytes[..len].copy_from_slice(&raw[..len]);
        Self {
            scheme,
            len: len as u8,
            bytes,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// A phone.
pub(crate) struct Phone {
    pub(crate) person: u32,
    pub(crate) kind: PhoneKind,
    pub(crate) radio: PhoneRadio,
    pub(crate) tracer: SimTracer,
    /// The time of its last `Output::Timeout`, unix seconds (0: at once).
    pub(crate) wake: u64,
    /// What it broadcasts now (an iOS Bluezone phone: only its GATT service).
    ads: [Option<Ad>; 2],
    /// Its current Bluezone identifier, served over GATT by an iOS phone.
    bluezone_id: Option<BluezoneId>,
    /// iOS peers read over GATT: (person, slot start, identifier), pruned per slot.
    gatt: Vec<(u32, u64, BluezoneId)>,
    pub(crate) gatt_reads: u32,
}

/// Bluezone slot of a time (96 slots a day, the tracer's default).
fn slot_of(t: u64) -> u64 {
    t / 900
}

impl Phone {
    pub(crate) fn new(
        person: u32,
        kind: PhoneKind,
        config: &TracerConfig,
        seed: u64,
    ) -> Result<Self, TracerError> {
        let mut config = config.clone();
        config.schemes.gaen = kind.gaen;
        config.schemes.bluezone = kind.bluezone;
        let log = EncounterLog::create(SparseBackend::default(), config.log_options())?;
        // The phone's own CSPRNG, seeded per person: the same person is the same phone in
        // every run of a seed (keys, scan phase), whatever else is simulated.
        let mut rng = ChaCha20Rng::seed_from_u64(hash(&[seed, 0x7068_6f6e, u64::from(person)]));
        let tracer = Tracer::new(config, log, MemoryKeyStorage::new(), &mut rng)?;
        Ok(Self {
            person,
            kind,
            radio: PhoneRadio::draw(&mut Stream::new(&[seed, 0x7261_6469, u64::from(person)])),
            tracer,
            wake: 0,
            ads: [None, None],
            bluezone_id: None,
            gatt: Vec::new(),
            gatt_reads: 0,
        })
    }

    /// The advertisements on air now.
    pub(crate) fn ads(&self) -> impl Iterator<Item = &Ad> {
        self.ads.iter().flatten()
    }

    /// Hand in `Timeout(now)` and follow the outputs; returns when a scan that starts now
    /// ends.
    pub(crate) fn wake_up(&mut self, now: UnixTime) -> Result<Option<UnixTime>, TracerError> {
        self.tracer.handle_input(Input::Timeout(now))?;
        Ok(self.drain(now))
    }

    /// Follow every output up to the timeout; returns when a scan that starts now ends.
    pub(crate) fn drain(&mut self, now: UnixTime) -> Option<UnixTime> {
        self.poll(now).0
    }

    /// Follow every output up to the timeout: when a scan that starts now ends, and whether
    /// the tracer asked for a GATT read.
    fn poll(&mut self, now: UnixTime) -> (Option<UnixTime>, bool) {
        let (mut scan, mut gatt) = (None, false);
        loop {
            match self.tracer.poll_output() {
                Output::Advertise(a) => self.advertise(&a.payloads),
                Output::Scan(h) if h.scanning => scan = Some(h.until),
                Output::Event(TracerEvent::NeedsGattRead) => gatt = true,
                Output::Timeout(t) => {
                    // Never wake twice at the same second.
                    self.wake = t.as_secs().max(now.as_secs() + 1);
                    return (scan, gatt);
                }
                _ => {}
            }
        }
    }

    /// Broadcast these identifiers: raw advertisements, or only its GATT service for an iOS
    /// phone's Bluezone identifier.
    fn advertise(&mut self, payloads: &[Identifier]) {
        let mut ads = [None, None];
        self.bluezone_id = None;
        for (slot, id) in ads.iter_mut().zip(payloads) {
            if let Identifier::Bluezone(b) = id {
                self.bluezone_id = Some(*b);
            }
            let raw = match id {
                Identifier::Bluezone(_) if self.kind.ios => encode_bluezone_ios_advertisement(),
                other => encode_advertisement(other),
            };
            *slot = Some(Ad::new(id.scheme(), raw.as_bytes()));
        }
        self.ads = ads;
    }

    /// Whether the app speaks `scheme` (its scan filter lets such advertisements through).
    pub(crate) fn kind_speaks(&self, scheme: Scheme) -> bool {
        self.kind.speaks(scheme)
    }

    /// Whether the app's scan filter lets this advertisement through, and whether the
    /// platform can discover it at all (iOS-to-iOS Bluezone fails in the background).
    pub(crate) fn can_hear(&self, ad: &Ad, sender: &Phone) -> bool {
        self.kind.speaks(ad.scheme)
            && !(ad.scheme == Scheme::Bluezone && self.kind.ios && sender.kind.ios)
    }

    /// The radio delivered one packet of `sender`'s advertisement `ad` at `at`. For an iOS
    /// Bluezone sender the tracer asks for a GATT read; the host reads the identifier once per
    /// device and slot and hands it in with each reception's RSSI. Drain afterwards.
    pub(crate) fn receive(
        &mut self,
        sender: &Phone,
        ad: &Ad,
        rssi: i8,
        at: UnixTime,
    ) -> Result<(), TracerError> {
        let r = Received::new(RadioData::AdvertisingData(ad.as_bytes()), rssi, at);
        self.tracer.handle_input(Input::Received(r))?;
        if sender.kind.ios
            && ad.scheme == Scheme::Bluezone
            && self.poll(at).1
            && let Some(id) = self.gatt_read(sender, at.as_secs())
        {
            let r = Received::new(RadioData::Identifier(Identifier::Bluezone(id)), rssi, at);
            self.tracer.handle_input(Input::Received(r))?;
        }
        Ok(())
    }

    /// A relay's packet: another phone's raw advertisement, replayed.
    pub(crate) fn receive_relayed(
        &mut self,
        ad: &Ad,
        rssi: i8,
        at: UnixTime,
    ) -> Result<(), TracerError> {
        let r = Received::new(RadioData::AdvertisingData(ad.as_bytes()), rssi, at);
        self.tracer.handle_input(Input::Received(r))
    }

    /// Advertisement `k` on air now.
    pub(crate) fn ad(&self, k: usize) -> Option<&Ad> {
        self.ads.get(k).and_then(Option::as_ref)
    }

    /// The identifier an iOS peer serves, read at most once per device and slot.
    fn gatt_read(&mut self, sender: &Phone, now: u64) -> Option<BluezoneId> {
        let slot = slot_of(now);
        self.gatt.retain(|&(_, s, _)| s == slot);
        if let Some(&(_, _, id)) = self.gatt.iter().find(|(p, _, _)| *p == sender.person) {
            return Some(id);
        }
        let id = sender.bluezone_id?;
        self.gatt_reads += 1;
        self.gatt.push((sender.person, slot, id));
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sparse_backend_reads_zeros_where_nothing_was_written() {
        let mut b = SparseBackend::default();
        b.set_len(3 * BLOCK as u64).unwrap();
        b.write(BLOCK as u64 - 2, &[1, 2, 3, 4]).unwrap();
        b.write(2 * BLOCK as u64 + 5, &[0; 100]).unwrap(); // zeros allocate nothing
        let mut buf = [9u8; 8];
        b.read(BLOCK as u64 - 4, &mut buf).unwrap();
        assert_eq!(buf, [0, 0, 1, 2, 3, 4, 0, 0]);
        assert_eq!(b.blocks.iter().flatten().count(), 2);
        assert!(b.write(3 * BLOCK as u64 - 1, &[1, 2]).is_err());
        b.set_len(BLOCK as u64 - 3).unwrap();
        b.set_len(BLOCK as u64).unwrap();
        b.read(BLOCK as u64 - 4, &mut buf[..4]).unwrap();
        assert_eq!(buf[..4], [0, 0, 0, 0]);
    }
}
