/**
 * The error for an input file whose size is not the one a job was planned from. Every offset of
 * a plan (split points, row groups, a Parquet footer) comes from that size, so reading a file
 * of another size would give damaged rows or a misleading decode error. The planner, a worker's
 * local read and the driver's input server all check it and all say it the same way.
 */
import { KindlingError } from '../errors.js';

/** E_IO naming `file`, its size now and the planned one; `when` says when the size was taken. */
export function inputChangedError(file: string, nowBytes: number, plannedBytes: number, when = 'the job was planned'): KindlingError {
  return new KindlingError('E_IO', `${file}: has ${nowBytes} bytes now, ${plannedBytes} when ${when} (was it changed while the job ran?)`, {
    file,
  });
}
