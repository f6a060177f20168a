//! Lemmy's listing vocabulary, in one place for every v3 list: the `ListingType`, `SortType`
//! and `CommentSortType` enums, how each Lemmy sort maps to Hearth's orders (posts, comments,
//! communities), and the checks of `page` (1-based) and `limit` (1–50, default 10).
//!
//! Two ways of serving a numbered page are used: lists Hearth pages by keyset cursor (posts,
//! comment threads, saved and voted items) walk the cursor over the pages before
//! ([`skipped`], [`WALK_STEP`]); short lists served by offset take [`page_window`].

use crate::error::{LemmyError, LemmyResult};
use hearth_db::comment::CommentSort;
use hearth_service::community_facts::CommunityOrder;
use hearth_service::posts::{FeedSort, TopPeriod};
use serde::Deserialize;

/// Lemmy's default page size.
pub(crate) const DEFAULT_LIMIT: i64 = 10;
/// Lemmy's largest page size.
pub(crate) const MAX_LIMIT: i64 = 50;

/// The largest `page` an offset-served list takes.
const MAX_PAGE: i64 = 10_000;

/// How far a `page` (rather than a `page_cursor`) may reach into a cursor-paged listing: pages
/// past the first are walked to by cursor, a query per `WALK_STEP` items, so this bounds one
/// request's work.
const MAX_SKIPPED: i64 = 10_000;

/// The most rows one walking step reads.
pub(crate) const WALK_STEP: i64 = 500;

/// How many pages a numbered page may lie behind where page `n` is found by walking the `n - 1`
/// before it page by page; further pages answer empty rather than cost that much.
pub(crate) const MAX_WALKED_PAGES: i64 = 50;

/// Lemmy's `limit`: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
pub(crate) fn checked_limit(limit: Option<i64>) -> LemmyResult<i64> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(LemmyError::new(
            "invalid_query",
            format!("`limit` must be between 1 and {MAX_LIMIT}."),
        ));
    }
    Ok(limit)
}

/// Lemmy's `page` of a cursor-paged list: 1-based, 1 when absent (how far it may reach is
/// [`skipped`]'s check).
pub(crate) fn checked_page(page: Option<i64>) -> LemmyResult<i64> {
    let page = page.unwrap_or(1);
    if page < 1 {
        return Err(LemmyError::new("invalid_query", "`page` starts at 1."));
    }
    Ok(page)
}

/// How many items come before page `page` (1-based) of `limit` items; refused past
/// `MAX_SKIPPED`.
pub(crate) fn skipped(page: i64, limit: i64) -> LemmyResult<i64> {
    let to_skip = (page - 1).saturating_mul(limit);
    if to_skip > MAX_SKIPPED {
        return Err(LemmyError::new(
            "invalid_query",
            format!("`page` reaches too far (past {MAX_SKIPPED} items); page with `page_cursor`."),
        ));
    }
    Ok(to_skip)
}

/// Lemmy's `page` (1-based) and `limit` (1–50, default 10) as a (limit, offset) pair: lists
/// that Lemmy pages by number are served by offset.
pub(crate) fn page_window(page: Option<i64>, limit: Option<i64>) -> LemmyResult<(i64, i64)> {
    let limit = checked_limit(limit)?;
    let page = page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(LemmyError::new(
            "invalid_query",
            format!("`page` must be 1 to {MAX_PAGE}."),
        ));
    }
    Ok((limit, (page - 1) * limit))
}

/// Lemmy's `ListingType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum ListingType {
    All,
    Local,
    Subscribed,
    ModeratorView,
}

/// Lemmy's `SortType` (posts, communities, people's pages, search).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum SortType {
    Active,
    Hot,
    New,
    Old,
    TopDay,
    TopWeek,
    TopMonth,
    TopYear,
    TopAll,
    MostComments,
    NewComments,
    TopHour,
    TopSixHour,
    TopTwelveHour,
    TopThreeMonths,
    TopSixMonths,
    TopNineMonths,
    Controversial,
    Scaled,
}

/// Lemmy's `CommentSortType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum CommentSortType {
    Hot,
    Top,
    New,
    Old,
    Controversial,
}

impl CommentSortType {
    /// Hearth's comment order of the same name (Hearth has all five).
    pub(crate) fn stored(self) -> CommentSort {
        match self {
            Self::Hot => CommentSort::Hot,
            Self::Top => CommentSort::Top,
            Self::New => CommentSort::New,
            Self::Old => CommentSort::Old,
            Self::Controversial => CommentSort::Controversial,
        }
    }
}

/// Hearth's feed order for a Lemmy post sort: the same order where Hearth has it, else the
/// closest (the `Top` windows Hearth lacks are widened to the next one it has; `NewComments` is
/// Hearth's `active`, which recent comments lift; `Scaled`, Lemmy's hot rank weighted for small
/// communities, is plain `hot`). `Old` has no ranked counterpart: `None`, and each list decides
/// (`post/list` serves it by date; a person's page refuses it).
pub(crate) fn feed_sort(sort: SortType) -> Option<FeedSort> {
    Some(match sort {
        SortType::Active | SortType::NewComments => FeedSort::Active,
        SortType::Hot | SortType::Scaled => FeedSort::Hot,
        SortType::New => FeedSort::New,
        SortType::TopHour | SortType::TopSixHour | SortType::TopTwelveHour | SortType::TopDay => {
            FeedSort::Top(TopPeriod::Day)
        }
        SortType::TopWeek => FeedSort::Top(TopPeriod::Week),
        SortType::TopMonth => FeedSort::Top(TopPeriod::Month),
        SortType::TopThreeMonths
        | SortType::TopSixMonths
        | SortType::TopNineMonths
        | SortType::TopYear => FeedSort::Top(TopPeriod::Year),
        SortType::TopAll => FeedSort::Top(TopPeriod::All),
        SortType::MostComments => FeedSort::MostComments,
        SortType::Controversial => FeedSort::Controversial,
        SortType::Old => return None,
    })
}

/// The order of a community list for Lemmy's sort: activity for the "hot" sorts, active people
/// over the window of a `Top*` sort (a day for windows under a day, a month for longer ones
/// under a year), members for a year and all time.
pub(crate) fn community_order(sort: SortType) -> CommunityOrder {
    match sort {
        SortType::New | SortType::NewComments => CommunityOrder::New,
        SortType::Old => CommunityOrder::Old,
        SortType::Hot | SortType::Active | SortType::Scaled | SortType::Controversial => {
            CommunityOrder::ActiveWeek
        }
        SortType::TopHour | SortType::TopSixHour | SortType::TopTwelveHour | SortType::TopDay => {
            CommunityOrder::ActiveDay
        }
        SortType::TopWeek => CommunityOrder::ActiveWeek,
        SortType::TopMonth
        | SortType::TopThreeMonths
        | SortType::TopSixMonths
        | SortType::TopNineMonths => CommunityOrder::ActiveMonth,
        SortType::TopYear | SortType::TopAll => CommunityOrder::Members,
        SortType::MostComments => CommunityOrder::Comments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_pages_become_offsets_and_lemmys_limits_hold() {
        assert_eq!(page_window(None, None).unwrap(), (10, 0));
        assert_eq!(page_window(Some(3), Some(20)).unwrap(), (20, 40));
        for (page, limit) in [(None, Some(0)), (None, Some(51)), (Some(0), None)] {
            let refused = page_window(page, limit).unwrap_err();
            assert_eq!(refused.name, "invalid_query");
        }
    }

    #[test]
    fn cursor_paged_lists_check_page_and_reach() {
        assert_eq!(checked_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(checked_limit(Some(50)).unwrap(), 50);
        assert_eq!(checked_limit(Some(51)).unwrap_err().name, "invalid_query");
        assert_eq!(checked_page(None).unwrap(), 1);
        assert_eq!(checked_page(Some(0)).unwrap_err().name, "invalid_query");
        assert_eq!(skipped(3, 20).unwrap(), 40);
        assert_eq!(skipped(1_002, 10).unwrap_err().name, "invalid_query");
    }

    #[test]
    fn every_lemmy_sort_has_a_community_order() {
        assert_eq!(community_order(SortType::New), CommunityOrder::New);
        assert_eq!(community_order(SortType::Old), CommunityOrder::Old);
        assert_eq!(community_order(SortType::TopAll), CommunityOrder::Members);
        assert_eq!(
            community_order(SortType::TopHour),
            CommunityOrder::ActiveDay
        );
        assert_eq!(
            community_order(SortType::TopSixMonths),
            CommunityOrder::ActiveMonth
        );
        assert_eq!(community_order(SortType::Hot), CommunityOrder::ActiveWeek);
    }

    #[test]
    fn post_sorts_map_to_the_nearest_feed_order() {
        assert_eq!(feed_sort(SortType::Scaled), Some(FeedSort::Hot));
        assert_eq!(feed_sort(SortType::NewComments), Some(FeedSort::Active));
        assert_eq!(
            feed_sort(SortType::TopSixHour),
            Some(FeedSort::Top(TopPeriod::Day))
        );
        assert_eq!(
            feed_sort(SortType::TopNineMonths),
            Some(FeedSort::Top(TopPeriod::Year))
        );
        assert_eq!(feed_sort(SortType::Old), None);
    }
}
