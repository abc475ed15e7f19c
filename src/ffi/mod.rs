// ffi placeholder
