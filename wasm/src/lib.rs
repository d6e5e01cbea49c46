//! The booth's WebAssembly module: [`teller::core::booth::call`] behind three raw exports, so the
//! browser runs the same Rust as the server and the verifier (docs/design/booth.md says why there
//! is no wasm-bindgen). The module imports nothing: randomness comes in with each request.
//!
//! With the `verifier` feature this crate is instead the verifier page's module:
//! [`teller::core::verify::browser`] behind `verify_record` and `verify_part`, with one import,
//! `teller.progress`, that it calls with numbers as the checks advance.
//!
//! The glue (`booth/booth.js`) allocates a buffer with [`booth_alloc`], writes the JSON request
//! into it, and calls [`booth_call`], which takes the buffer and returns the answer's address and
//! length packed in one `u64` (address in the high half); the glue copies it out and hands it
//! back with [`booth_free`].

/// A buffer of `len` bytes for the glue to write a request into.
#[unsafe(no_mangle)]
pub extern "C" fn booth_alloc(len: usize) -> *mut u8 {
    let mut buffer = std::mem::ManuallyDrop::new(Vec::<u8>::with_capacity(len));
    buffer.as_mut_ptr()
}

/// Frees an answer returned by [`booth_call`].
///
/// # Safety
/// `ptr` and `len` must be an answer from [`booth_call`], freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn booth_free(ptr: *mut u8, len: usize) {
    // SAFETY: the answer was a boxed slice of exactly `len` bytes (see `booth_call`).
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
}

#[cfg(not(feature = "verifier"))]
/// Answers the request in the buffer `ptr` (from [`booth_alloc`] with capacity `len`, filled).
///
/// # Safety
/// `ptr` must come from [`booth_alloc(len)`](booth_alloc) with all `len` bytes written; the call
/// takes it over.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn booth_call(ptr: *mut u8, len: usize) -> u64 {
    // SAFETY: allocated by `booth_alloc` with capacity `len` and filled by the glue.
    let request = unsafe { Vec::from_raw_parts(ptr, len, len) };
    hand_back(teller::core::booth::call(&request))
}

/// The answer's address and length packed in one `u64` (address in the high half), for the glue
/// to copy out and free with [`booth_free`].
fn hand_back(answer: Vec<u8>) -> u64 {
    let answer = answer.into_boxed_slice();
    let len = answer.len() as u64;
    let ptr = Box::into_raw(answer) as *mut u8 as usize as u64;
    (ptr << 32) | len
}

#[cfg(feature = "verifier")]
#[link(wasm_import_module = "teller")]
unsafe extern "C" {
    /// The verifier's progress: the stage's name (UTF-8 at `stage`, `stage_len` bytes), items
    /// done and items in all. The page shows it; nothing comes back.
    #[link_name = "progress"]
    fn progress(stage: *const u8, stage_len: usize, done: usize, total: usize);
}

#[cfg(feature = "verifier")]
/// Answers the verifier page's `verify` request in the buffer `ptr` (from [`booth_alloc`] with
/// capacity `len`, filled): [`teller::core::verify::browser::verify`] lays it out. Returns the
/// answer as [`booth_call`] does.
///
/// # Safety
/// As [`booth_call`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn verify_record(ptr: *mut u8, len: usize) -> u64 {
    // SAFETY: allocated by `booth_alloc` with capacity `len` and filled by the glue.
    let request = unsafe { Vec::from_raw_parts(ptr, len, len) };
    hand_back(teller::core::verify::browser::verify(&request, &report))
}

#[cfg(feature = "verifier")]
/// Answers a worker's `part` request (the ballots it checks for the verifier), as
/// [`verify_record`] does.
///
/// # Safety
/// As [`booth_call`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn verify_part(ptr: *mut u8, len: usize) -> u64 {
    // SAFETY: allocated by `booth_alloc` with capacity `len` and filled by the glue.
    let request = unsafe { Vec::from_raw_parts(ptr, len, len) };
    hand_back(teller::core::verify::browser::part(&request, &report))
}

#[cfg(feature = "verifier")]
/// Hands the verifier's progress to the page.
fn report(p: teller::core::verify::Progress) {
    // SAFETY: the import only reads the stage's bytes during the call.
    unsafe { progress(p.stage.as_ptr(), p.stage.len(), p.done, p.total) }
}
