/**
 * The built-in scanners. Each import registers itself with src/scan/registry.ts (side effect).
 * Weight/format scanners: add one line below for your module (see registry.ts for the contract).
 */
import './onnx-scanner.js'
import './format-scanners.js'
