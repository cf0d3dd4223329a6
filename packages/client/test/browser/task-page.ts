// The page of the browser test, bundled by esbuild with react, react-dom and the hook. The
// bundle takes the built dist/react.js, as a user's bundler would (the test redirects the
// import below, which names src only so that typechecking needs no build). It follows the task named in its query string
// and keeps every state the hook returned in window.taskStates.
import { createElement, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { type TaskState, useTask } from '../../src/react';

declare global {
  interface Window {
    taskStates: TaskState[];
  }
}

const query = new URLSearchParams(location.search);
window.taskStates = [];

function TaskProgress() {
  const state = useTask(query.get('task'), query.get('token'), { baseUrl: query.get('api')! });
  useEffect(() => void window.taskStates.push(state), [state]);
  return createElement('pre', { id: 'task', 'data-done': String(state.done) }, JSON.stringify(state));
}

createRoot(document.getElementById('root')!).render(createElement(TaskProgress));
