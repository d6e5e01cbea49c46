//! The booth's WebAssembly module: [`teller::core::booth::call`] behind three raw exports, so the
//! browser runs the same Rust as the server and the verifier (docs/design/booth.md says why there
//! is no wasm-bindgen). The module imports nothing: randomness comes in with each request.
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

/// Answers the request in the buffer `ptr` (from [`booth_alloc`] with capacity `len`, filled).
///
/// # Safety
/// `ptr` must come from [`booth_alloc(len)`](booth_alloc) with all `len` bytes written; the call
/// takes it over.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn booth_call(ptr: *mut u8, len: usize) -> u64 {
    // SAFETY: allocated by `booth_alloc` with capacity `len` and filled by the glue.
    let request = unsafe { Vec::from_raw_parts(ptr, len, len) };
    let answer = teller::core::booth::call(&request).into_boxed_slice();
    let len = answer.len() as u64;
    let ptr = Box::into_raw(answer) as *mut u8 as usize as u64;
    (ptr << 32) | len
}
