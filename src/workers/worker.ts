/**
 * The engine's worker-thread entry from the compiled modules (engine.ts): each task's handler
 * module is imported by its URL. The worker bundle (dist/worker.cjs) starts the same serve().
 */
import {serve} from './serve.js'

serve((url) => import(url))
