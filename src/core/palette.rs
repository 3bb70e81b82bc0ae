//! The territory colour palette. It sits below the plan ([`super::model`]
//! gives a new territory its first colour from it) and below
//! [`super::colors`], which keeps neighbours apart with it.

/// The palette, best first: Paul Tol's colour-blind-safe "light" scheme
/// (without its grey, kept for "no territory"), then four "muted" colours
/// used only when a territory's neighbours already take all of the first
/// eight.
pub const PALETTE: [[u8; 3]; 12] = [
    [0x77, 0xaa, 0xdd],
    [0xee, 0x88, 0x66],
    [0xee, 0xdd, 0x88],
    [0xff, 0xaa, 0xbb],
    [0x99, 0xdd, 0xff],
    [0x44, 0xbb, 0x99],
    [0xbb, 0xcc, 0x33],
    [0xaa, 0xaa, 0x00],
    [0xcc, 0x66, 0x77],
    [0xaa, 0x44, 0x99],
    [0x11, 0x77, 0x33],
    [0x33, 0x22, 0x88],
];

/// How many of [`PALETTE`] are the main colours (new territories cycle
/// through these; the rest are for crowded neighbourhoods only).
pub const MAIN: usize = 8;
