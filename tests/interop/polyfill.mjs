// polyfill.mjs: what js-libp2p 3.x expects from Node 22 but Node 20 lacks.
// Loaded before anything else with `node --import ./polyfill.mjs`; a no-op on
// runtimes that already have the feature.
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers () {
      let resolve
      let reject
      const promise = new this((res, rej) => { resolve = res; reject = rej })
      return { promise, resolve, reject }
    }
  })
}
