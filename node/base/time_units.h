/*
 * time_units: how many nanoseconds make a microsecond, a millisecond and a
 * second, defined once for the whole project. Time is uint64_t nanoseconds
 * everywhere (env.h's now_ns, every *_ns field), so the integer constants
 * are unsigned long long and keep integer arithmetic integer: 10 * NS_PER_S
 * is a uint64_t. The _DOUBLE ones are for turning nanoseconds into seconds
 * or milliseconds as doubles, (double)t_ns / NS_PER_S_DOUBLE, which is how
 * reports, plots and metrics.json show time.
 */
#ifndef SWARMLAB_TIME_UNITS_H
#define SWARMLAB_TIME_UNITS_H

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

#define NS_PER_MS_DOUBLE 1e6
#define NS_PER_S_DOUBLE 1e9

#endif
