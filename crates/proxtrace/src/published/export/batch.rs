//! Batch sets: a key server splits one publication into `batch_size` files, numbered
//! `batch_num` 1…`batch_size`, that share `region`, `start_timestamp` and `end_timestamp`. A
//! reader needs all of them to see the whole publication.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ExportHeader;

/// How many missing batch numbers a [`BatchSet`] lists (the rest are only counted).
const MAX_LISTED_MISSING: usize = 32;

/// The files of one publication, and whether all are present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchSet {
    /// `region` of the files.
    pub region: String,
    /// `start_timestamp` of the files.
    pub start_timestamp: u64,
    /// `end_timestamp` of the files.
    pub end_timestamp: u64,
    /// `batch_size` of the files.
    pub batch_size: i32,
    /// Positions (in the slice given to [`batch_sets`]) of the files of this set, by
    /// `batch_num`.
    pub files: Vec<usize>,
    /// The `batch_num`s present, ascending, each once.
    pub present: Vec<i32>,
    /// How many of 1…`batch_size` are absent.
    pub missing_count: u64,
    /// The first absent batch numbers (at most 32).
    pub missing: Vec<i32>,
    /// `batch_num`s given by more than one file.
    pub duplicates: Vec<i32>,
    /// `batch_num`s outside 1…`batch_size` (or any, when `batch_size` is not positive).
    pub out_of_range: Vec<i32>,
}

impl BatchSet {
    /// Every batch 1…`batch_size` is present exactly once and nothing is out of range.
    pub fn is_complete(&self) -> bool {
        self.batch_size >= 1
            && self.missing_count == 0
            && self.duplicates.is_empty()
            && self.out_of_range.is_empty()
    }
}

/// Group export headers into batch sets (by region, start and end timestamps and batch
/// size), in order of first appearance.
pub fn batch_sets(headers: &[&ExportHeader]) -> Vec<BatchSet> {
    let mut order: Vec<(String, u64, u64, i32)> = Vec::new();
    let mut groups: BTreeMap<(String, u64, u64, i32), Vec<usize>> = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        let k = (
            h.region.clone(),
            h.start_timestamp,
            h.end_timestamp,
            h.batch_size,
        );
        let e = groups.entry(k.clone()).or_default();
        if e.is_empty() {
            order.push(k);
        }
        e.push(i);
    }
    order
        .into_iter()
        .map(|k| {
            let mut files = groups.remove(&k).unwrap_or_default();
            files.sort_by_key(|&i| headers[i].batch_num);
            let (region, start_timestamp, end_timestamp, batch_size) = k;
            let mut present = Vec::new();
            let mut duplicates = Vec::new();
            let mut out_of_range = Vec::new();
            for &i in &files {
                let n = headers[i].batch_num;
                if n < 1 || n > batch_size {
                    out_of_range.push(n);
                } else if present.last() == Some(&n) {
                    if duplicates.last() != Some(&n) {
                        duplicates.push(n);
                    }
                } else {
                    present.push(n);
                }
            }
            let size = u64::try_from(batch_size).unwrap_or(0);
            let missing_count = size - present.len() as u64;
            let mut missing = Vec::new();
            let mut p = present.iter().peekable();
            let mut n = 1;
            while n <= batch_size && missing.len() < MAX_LISTED_MISSING {
                if p.peek() == Some(&&n) {
                    p.next();
                } else {
                    missing.push(n);
                }
                n += 1;
            }
            BatchSet {
                region,
                start_timestamp,
                end_timestamp,
                batch_size,
                files,
                present,
                missing_count,
                missing,
                duplicates,
                out_of_range,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(region: &str, start: u64, num: i32, size: i32) -> ExportHeader {
        ExportHeader {
            start_timestamp: start,
            end_timestamp: start + 86_400,
            region: region.into(),
            batch_num: num,
            batch_size: size,
            signature_infos: Vec::new(),
        }
    }

    #[test]
    fn sets_are_grouped_and_gaps_duplicates_and_strays_found() {
        let hs = [
            h("US", 0, 2, 3),
            h("US", 0, 1, 3),
            h("NL", 0, 1, 1),
            h("US", 0, 2, 3),
            h("US", 86_400, 1, 2),
            h("US", 86_400, 2, 2),
            h("DE", 0, 4, 3),
            h("XX", 0, 1, i32::MAX),
        ];
        let refs: Vec<&ExportHeader> = hs.iter().collect();
        let sets = batch_sets(&refs);
        assert_eq!(sets.len(), 5);
        let us = &sets[0];
        assert_eq!(
            (us.files.clone(), us.present.clone()),
            (vec![1, 0, 3], vec![1, 2])
        );
        assert_eq!((us.missing.clone(), us.missing_count), (vec![3], 1));
        assert_eq!(us.duplicates, vec![2]);
        assert!(!us.is_complete());
        assert!(sets[1].is_complete(), "NL 1 of 1");
        assert!(sets[2].is_complete(), "US day 2, 1 and 2 of 2");
        assert_eq!(sets[3].out_of_range, vec![4]);
        assert_eq!(sets[3].missing, vec![1, 2, 3]);
        assert_eq!(sets[4].missing.len(), 32);
        assert_eq!(sets[4].missing_count, i32::MAX as u64 - 1);
    }
}
