export {renderText} from './text.js'
export {renderSarif, SECURITY_SEVERITY} from './sarif.js'

export {renderJson} from './json.js'

export {renderScanHtml, collectGraphViews} from './html.js'
