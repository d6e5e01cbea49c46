//! Fixed-point decimal vote values: the arithmetic every counting rule uses.
//!
//! A `Fixed<D>` holds an integer number of units of 10^-D. The scale is part of the type, so a
//! Scottish STV value (5 places) cannot be added to a Meek value (9 places) by mistake. There is no
//! floating point anywhere in counting (docs/COUNTING.md, "Arithmetic").
//!
//! Overflow: [`crate::core::count::Election`] refuses inputs whose total ballot weight exceeds
//! [`MAX_TOTAL_WEIGHT`](crate::core::count::MAX_TOTAL_WEIGHT) (10^9). Every vote total is then at most
//! 10^9 × 10^9 = 10^18 units, below `i64::MAX` (≈ 9.2 × 10^18), and every product is formed in `i128`.
//! Within that bound the operations below cannot overflow; debug builds still check.

use std::fmt;

/// A decimal number with `D` digits after the point, stored as a scaled integer.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fixed<const D: u32>(i64);

impl<const D: u32> Fixed<D> {
    /// Units per whole vote: 10^D.
    pub const SCALE: i64 = 10i64.pow(D);
    /// Zero votes.
    pub const ZERO: Self = Self(0);
    /// One whole vote.
    pub const ONE: Self = Self(Self::SCALE);

    /// The value with exactly `units` units of 10^-D.
    pub const fn from_units(units: i64) -> Self {
        Self(units)
    }

    /// The raw number of units of 10^-D.
    pub const fn units(self) -> i64 {
        self.0
    }

    /// A whole number of votes (a ballot weight); the caller keeps it within the documented bound.
    pub const fn from_int(votes: i64) -> Self {
        Self(votes * Self::SCALE)
    }

    /// The whole part, rounded towards zero.
    pub const fn trunc_int(self) -> i64 {
        self.0 / Self::SCALE
    }

    /// `self × other`, truncated (rounded towards zero) to D places.
    pub fn mul_round_down(self, other: Self) -> Self {
        Self(narrow(
            (i128::from(self.0) * i128::from(other.0)) / i128::from(Self::SCALE),
        ))
    }

    /// `self × other`, rounded up (away from zero for non-negative values) to D places.
    pub fn mul_round_up(self, other: Self) -> Self {
        Self(narrow(div_ceil(
            i128::from(self.0) * i128::from(other.0),
            i128::from(Self::SCALE),
        )))
    }

    /// `self ÷ other`, truncated to D places. `other` must be non-zero.
    pub fn div_round_down(self, other: Self) -> Self {
        Self(narrow(
            (i128::from(self.0) * i128::from(Self::SCALE)) / i128::from(other.0),
        ))
    }

    /// `self ÷ other`, rounded up to D places. `other` must be non-zero and both non-negative.
    pub fn div_round_up(self, other: Self) -> Self {
        Self(narrow(div_ceil(
            i128::from(self.0) * i128::from(Self::SCALE),
            i128::from(other.0),
        )))
    }

    /// `self × n` for a whole number `n` (a ballot weight): exact.
    pub fn mul_int(self, n: u64) -> Self {
        Self(narrow(i128::from(self.0) * i128::from(n)))
    }

    /// `self ÷ n` for a whole number `n`, truncated to D places. `n` must be non-zero.
    pub fn div_int_round_down(self, n: u64) -> Self {
        Self(narrow(i128::from(self.0) / i128::from(n)))
    }

    /// The larger of two values.
    pub fn max(self, other: Self) -> Self {
        Ord::max(self, other)
    }

    /// The smaller of two values.
    pub fn min(self, other: Self) -> Self {
        Ord::min(self, other)
    }
}

fn div_ceil(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    if numerator % denominator != 0 && ((numerator < 0) == (denominator < 0)) {
        quotient + 1
    } else {
        quotient
    }
}

/// Narrows an `i128` intermediate back to `i64`. Within the module's documented bound this never
/// fails; saturating keeps a violated bound visible in the totals rather than wrapping silently.
fn narrow(value: i128) -> i64 {
    debug_assert!(
        i64::try_from(value).is_ok(),
        "fixed-point overflow: {value}"
    );
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

impl<const D: u32> std::ops::Add for Fixed<D> {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self(self.0 + other.0)
    }
}

impl<const D: u32> std::ops::Sub for Fixed<D> {
    type Output = Self;
    fn sub(self, other: Self) -> Self {
        Self(self.0 - other.0)
    }
}

impl<const D: u32> std::ops::AddAssign for Fixed<D> {
    fn add_assign(&mut self, other: Self) {
        self.0 += other.0;
    }
}

impl<const D: u32> std::ops::SubAssign for Fixed<D> {
    fn sub_assign(&mut self, other: Self) {
        self.0 -= other.0;
    }
}

impl<const D: u32> std::ops::Neg for Fixed<D> {
    type Output = Self;
    fn neg(self) -> Self {
        Self(-self.0)
    }
}

impl<const D: u32> std::iter::Sum for Fixed<D> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, |a, b| a + b)
    }
}

impl<const D: u32> fmt::Display for Fixed<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", format_units(self.0, D))
    }
}

impl<const D: u32> fmt::Debug for Fixed<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Formats `units` of 10^-`decimals` as a plain decimal string with exactly `decimals` places.
pub fn format_units(units: i64, decimals: u32) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let magnitude = units.unsigned_abs();
    if decimals == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10u64.pow(decimals);
    format!(
        "{sign}{}.{:0width$}",
        magnitude / scale,
        magnitude % scale,
        width = decimals as usize
    )
}

/// Parses a plain decimal string ("12", "12.5", "-0.00100") into units of 10^-`decimals`.
/// Returns `None` for anything else, or for more than `decimals` places.
pub fn parse_units(text: &str, decimals: u32) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || fraction.len() > decimals as usize {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let mut fraction_units: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    fraction_units = fraction_units.checked_mul(10i64.pow(decimals - fraction.len() as u32))?;
    let units = whole
        .checked_mul(10i64.pow(decimals))?
        .checked_add(fraction_units)?;
    Some(if negative { -units } else { units })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type F5 = Fixed<5>;
    type F9 = Fixed<9>;

    #[test]
    fn formats_with_exact_places() {
        assert_eq!(F5::from_units(105_453_520).to_string(), "1054.53520");
        assert_eq!(F9::from_units(-1).to_string(), "-0.000000001");
        assert_eq!(Fixed::<0>::from_units(7).to_string(), "7");
    }

    #[test]
    fn truncates_and_rounds_up_as_named() {
        let third = F5::ONE.div_round_down(F5::from_int(3));
        assert_eq!(third.units(), 33_333);
        assert_eq!(F5::ONE.div_round_up(F5::from_int(3)).units(), 33_334);
        let x = F5::from_units(12_345);
        assert_eq!(x.mul_round_down(third).units(), 4_114);
        assert_eq!(x.mul_round_up(third).units(), 4_115);
    }

    #[test]
    fn parses_decimal_strings() {
        assert_eq!(parse_units("1054.5352", 5), Some(105_453_520));
        assert_eq!(parse_units("-0.001", 9), Some(-1_000_000));
        assert_eq!(parse_units("1.123456", 5), None);
        assert_eq!(parse_units("1e5", 5), None);
        assert_eq!(parse_units(".5", 5), None);
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(units in -1_000_000_000_000i64..1_000_000_000_000) {
            prop_assert_eq!(parse_units(&format_units(units, 9), 9), Some(units));
        }

        #[test]
        fn rounding_brackets_the_exact_product(a in 0i64..10_000_000_000, b in 0i64..1_000_000_000) {
            let (x, y) = (F9::from_units(a), F9::from_units(b));
            let down = x.mul_round_down(y).units();
            let up = x.mul_round_up(y).units();
            let exact = i128::from(a) * i128::from(b);
            prop_assert!(i128::from(down) * 1_000_000_000 <= exact);
            prop_assert!(i128::from(up) * 1_000_000_000 >= exact);
            prop_assert!(up - down <= 1);
        }

        #[test]
        fn addition_is_commutative_and_subtraction_inverts_it(a in -1_000_000_000_000i64..1_000_000_000_000, b in -1_000_000_000_000i64..1_000_000_000_000) {
            let (x, y) = (F5::from_units(a), F5::from_units(b));
            prop_assert_eq!(x + y, y + x);
            prop_assert_eq!(x + y - y, x);
        }
    }
}
