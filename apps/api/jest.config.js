// Two workers even on two cores (Jest's default there is one): a file here spends much of its
// time waiting on Postgres, Redis or a browser, which another file's work fills.
module.exports = { ...require('../../jest.preset.js'), maxWorkers: 2 };
