/** Bounded, type-checked file I/O for every module that reads what a user or an attacker hands in. */
export {openRegularFile, type OpenRegularOptions, type OpenedFile} from './open.js'
export {readBoundedFile, readFileHead, type BoundedReadOptions} from './read.js'
export {checkJsonDepth, MAX_JSON_DEPTH, parseBoundedJson, type BoundedJsonOptions} from './json.js'
export {writeAtomically} from './write.js'
