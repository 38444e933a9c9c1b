//! QR codes as SVG: an invitation link for a tablet's camera, a sealed check's block for whoever verifies
//! the printed binder.

/// `data` as a QR code at least `size` px square, at the lowest error correction (the most data: a seal's
/// block is over a kilobyte); `None` when it is too long to encode.
pub fn svg(data: &str, size: u32) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::L).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(size, size)
            .quiet_zone(true)
            .build(),
    )
}
