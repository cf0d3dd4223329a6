// The clients of outside services that tasks call. Each part is filled in by its own module.
export {};
