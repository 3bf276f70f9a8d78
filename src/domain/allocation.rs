//! How learners are shared out among sections and groups. Plain functions over user ids, so
//! every rule is unit-tested here and the handlers only persist what these decide.

use rand::seq::SliceRandom;

/// Learners in the order they are dealt: by user id, or shuffled when asked to randomize.
pub fn dealing_order(mut learners: Vec<i64>, randomize: bool) -> Vec<i64> {
    learners.sort_unstable();
    learners.dedup();
    if randomize {
        learners.shuffle(&mut rand::thread_rng());
    }
    learners
}

/// Deals learners into `groups` piles like cards, so pile sizes differ by at most one and
/// earlier piles are never smaller. With no piles there is nowhere to deal: empty.
pub fn deal(learners: &[i64], groups: usize) -> Vec<Vec<i64>> {
    let mut piles = vec![Vec::with_capacity(learners.len() / groups.max(1) + 1); groups];
    if groups == 0 {
        return piles;
    }
    for (i, learner) in learners.iter().enumerate() {
        piles[i % groups].push(*learner);
    }
    piles
}

/// How many groups counting off `per_group` at a time needs: at least one.
pub fn groups_needed(learners: usize, per_group: usize) -> usize {
    learners.div_ceil(per_group.max(1)).max(1)
}

/// Counts learners off `per_group` at a time, again and again: as many groups as that takes,
/// at least one (empty when there are no learners).
pub fn count_off(learners: &[i64], per_group: usize) -> Vec<Vec<i64>> {
    let mut piles: Vec<Vec<i64>> = learners
        .chunks(per_group.max(1))
        .map(<[i64]>::to_vec)
        .collect();
    if piles.is_empty() {
        piles.push(Vec::new());
    }
    piles
}

/// Where one more learner goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Into the existing group at this index.
    Existing(usize),
    /// Into a group that must be created first.
    New,
}

/// The smallest group, the earliest among equals; `New` only when there is no group at all.
pub fn smallest(sizes: &[usize]) -> Placement {
    sizes
        .iter()
        .enumerate()
        .min_by_key(|(i, size)| (**size, *i))
        .map_or(Placement::New, |(i, _)| Placement::Existing(i))
}

/// The first group with room under `cap`, or a new one when all are full.
pub fn first_not_full(sizes: &[usize], cap: usize) -> Placement {
    sizes
        .iter()
        .position(|size| *size < cap)
        .map_or(Placement::New, Placement::Existing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: i64) -> Vec<i64> {
        (1..=n).collect()
    }

    #[test]
    fn dealing_is_stable_by_id_unless_randomized() {
        assert_eq!(dealing_order(vec![5, 3, 9, 3], false), vec![3, 5, 9]);
        let many = ids(200);
        let shuffled = dealing_order(many.iter().rev().copied().collect(), true);
        assert_ne!(
            shuffled, many,
            "200 learners shuffled into id order is all but impossible"
        );
        let mut sorted = shuffled.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, many, "a shuffle keeps every learner once");
    }

    #[test]
    fn dealt_sizes_differ_by_at_most_one() {
        for (n, groups) in [(10, 3), (20_000, 100), (7, 7), (3, 5), (0, 4), (101, 10)] {
            let piles = deal(&ids(n), groups);
            assert_eq!(piles.len(), groups);
            let sizes: Vec<usize> = piles.iter().map(Vec::len).collect();
            let (min, max) = (
                sizes.iter().min().copied().unwrap_or(0),
                sizes.iter().max().copied().unwrap_or(0),
            );
            assert!(max - min <= 1, "{n} into {groups}: {sizes:?}");
            assert!(
                sizes.windows(2).all(|w| w[0] >= w[1]),
                "earlier piles not smaller: {sizes:?}"
            );
            let mut all: Vec<i64> = piles.concat();
            all.sort_unstable();
            assert_eq!(all, ids(n), "every learner exactly once");
        }
        assert_eq!(deal(&[1, 2, 3], 2), vec![vec![1, 3], vec![2]]);
        assert!(deal(&[1], 0).is_empty());
    }

    #[test]
    fn counting_off_fills_groups_in_order() {
        assert_eq!(
            count_off(&ids(7), 3),
            vec![vec![1, 2, 3], vec![4, 5, 6], vec![7]]
        );
        assert_eq!(count_off(&ids(6), 3).len(), 2);
        assert_eq!(count_off(&[], 3), vec![Vec::<i64>::new()]);
        assert_eq!(groups_needed(7, 3), 3);
        assert_eq!(groups_needed(6, 3), 2);
        assert_eq!(groups_needed(0, 3), 1);
    }

    #[test]
    fn placement_of_one_more_learner() {
        assert_eq!(smallest(&[3, 2, 2, 4]), Placement::Existing(1));
        assert_eq!(smallest(&[]), Placement::New);
        assert_eq!(first_not_full(&[3, 3, 2], 3), Placement::Existing(2));
        assert_eq!(first_not_full(&[3, 3], 3), Placement::New);
        assert_eq!(first_not_full(&[], 3), Placement::New);
    }
}
