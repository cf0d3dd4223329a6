import { dataSimEnvSchema, parseEnv } from '../src';

describe('dataSimEnvSchema', () => {
  it('defaults to 127.0.0.1:4030, takes DATA_SIM_PORT and HOST, and names a port that is not one', () => {
    expect(parseEnv(dataSimEnvSchema, {})).toEqual({ DATA_SIM_PORT: 4030, HOST: '127.0.0.1' });
    expect(parseEnv(dataSimEnvSchema, { DATA_SIM_PORT: '4999', HOST: '0.0.0.0' })).toEqual({ DATA_SIM_PORT: 4999, HOST: '0.0.0.0' });
    expect(() => parseEnv(dataSimEnvSchema, { DATA_SIM_PORT: 'four' })).toThrow(/DATA_SIM_PORT/);
    expect(() => parseEnv(dataSimEnvSchema, { DATA_SIM_PORT: '70000' })).toThrow(/DATA_SIM_PORT/);
  });
});
