import variant from "@jitl/quickjs-wasmfile-release-sync";
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";

let pending: Promise<QuickJSWASMModule> | undefined;
let loaded: QuickJSWASMModule | undefined;

/**
 * The QuickJS WebAssembly module, loaded once per process (about 10-40 ms). Each run gets its own runtime
 * and context inside it; {@link discardQuickJs} throws the module away after a run that failed inside the
 * host (a host stack overflow or a WebAssembly trap leaves its memory in an unknown state).
 */
export function loadQuickJs(): Promise<QuickJSWASMModule> {
  // The package's types describe its CommonJS build; under ESM the default export is the variant itself.
  pending ??= newQuickJSWASMModuleFromVariant(variant as unknown as QuickJSSyncVariant).then(
    (module) => {
      loaded = module;
      return module;
    },
    (error: unknown) => {
      pending = undefined;
      throw error;
    },
  );
  return pending;
}

/** Forgets a module whose state can no longer be trusted; the next {@link loadQuickJs} loads a fresh one. */
export function discardQuickJs(module: QuickJSWASMModule): void {
  if (loaded === module) {
    loaded = undefined;
    pending = undefined;
  }
}
