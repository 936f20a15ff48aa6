export function varint(n: number | bigint): Buffer
export function len(field: number, payload: Buffer): Buffer
export function str(field: number, s: string): Buffer
export function vint(field: number, n: number | bigint): Buffer
